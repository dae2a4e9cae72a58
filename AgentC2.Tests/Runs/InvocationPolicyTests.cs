extern alias AgentService;
using AgentService::AgentC2.Agent.Agents;
using AgentService::AgentC2.Agent.Runs;

namespace AgentC2.Tests.Runs;

public sealed class InvocationPolicyTests
{
    private static readonly AgentOptions Options = new() { AsyncThreshold = 20, MaxSyncSteps = 50, MaxStepsLimit = 1_000 };

    [Theory]
    [InlineData(null, 10, null, 10, "sync")]
    [InlineData(null, 20, null, 20, "sync")]
    [InlineData(null, 21, null, 21, "async")]
    [InlineData(20, 100, null, 20, "sync")]
    [InlineData(21, 5, null, 21, "async")]
    [InlineData(200, 5, "sync", 200, "sync")]
    [InlineData(1, 5, "async", 1, "async")]
    public void Effective_max_steps_and_mode(int? requested, int agentDefault, string? mode, int expectedSteps, string expectedMode)
    {
        var (steps, decided) = InvocationPolicy.Decide(requested, mode, Agent(agentDefault), Options);

        Assert.Equal(expectedSteps, steps);
        Assert.Equal(expectedMode, decided);
    }

    [Fact]
    public void Explicit_sync_is_capped_so_long_runs_do_not_hold_a_connection()
    {
        var (invocation, errors) = InvocationPolicy.Validate(new InvokeRequest("x", 51, "sync", null, null, null), null, Agent(10), Options);

        Assert.Null(invocation);
        Assert.Contains("maxSteps", errors.Keys);
    }

    [Fact]
    public void The_same_request_has_the_same_fingerprint_and_any_change_alters_it()
    {
        var agent = Agent(10);
        var a = InvocationPolicy.Validate(new InvokeRequest("hello", null, null, null, null, "k"), null, agent, Options).Invocation!;
        var b = InvocationPolicy.Validate(new InvokeRequest("hello", null, null, null, null, null), "k", agent, Options).Invocation!;
        var c = InvocationPolicy.Validate(new InvokeRequest("hello!", null, null, null, null, "k"), null, agent, Options).Invocation!;

        Assert.Equal(InvocationPolicy.Fingerprint(agent, a), InvocationPolicy.Fingerprint(agent, b));
        Assert.NotEqual(InvocationPolicy.Fingerprint(agent, a), InvocationPolicy.Fingerprint(agent, c));
    }

    [Fact]
    public void Header_and_body_idempotency_keys_must_agree()
    {
        var (_, errors) = InvocationPolicy.Validate(new InvokeRequest("x", null, null, null, null, "a"), "b", Agent(10), Options);

        Assert.Contains("idempotencyKey", errors.Keys);
    }

    private static AgentDefinition Agent(int maxSteps) =>
        new() { Id = Guid.NewGuid(), OrganizationId = Guid.NewGuid(), Slug = "a", Name = "A", ModelTier = "auto", MaxSteps = maxSteps };
}
