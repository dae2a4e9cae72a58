using AgentC2.Tests.AsyncRuns;
using AgentC2.Tests.Console;
using AgentC2.Tests.Operations;
using AgentC2.Tests.RateLimiting;
using AgentC2.Tests.Retention;

namespace AgentC2.Tests.Fixtures;

/// <summary>
/// The settings the services run with under test: lower limits for the organizations particular tests own, short leases and
/// retries so that takeovers happen within a test, JSON logs from the worker.
/// </summary>
internal static class TestSettings
{
    /// <summary>The lease the workers take on a run in tests, short so that takeovers happen within a test.</summary>
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(3);

    /// <summary>How long a stopping agent lets its sync runs go on before it hands them to the queue.</summary>
    public static readonly TimeSpan SyncRunDrain = TimeSpan.FromSeconds(3);

    /// <summary>The most a model call attempt takes in tests (the reasoning tier's endpoint answers slowly on request).</summary>
    public static readonly TimeSpan ModelTimeout = TimeSpan.FromSeconds(2);

    public static void Apply(IDistributedApplicationTestingBuilder builder, string catalogServerToken, string chatCompletionsEndpoint)
    {
        var agent = builder.CreateResourceBuilder(Project(builder, ResourceNames.Agent));
        var worker = builder.CreateResourceBuilder(Project(builder, ResourceNames.Worker));

        // The worker writes JSON logs, and logs each request, so tests can check the format and trace ids.
        // Aspire asks run-mode services for the simple formatter under this exact key; override that key.
        worker.WithEnvironment("LOGGING__CONSOLE__FORMATTERNAME", "json")
            .WithEnvironment("Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics", "Information");

        agent.WithEnvironment($"AgentC2__RateLimiting__Organizations__{RateLimitTests.Organization}__PermitLimit", RateLimitTests.Permits.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment($"AgentC2__RateLimiting__Organizations__{RateLimitTests.Organization}__Window", "00:05:00")
            .WithEnvironment($"AgentC2__RateLimiting__Organizations__{ConsoleTests.LimitedOrganization}__PermitLimit", "3")
            .WithEnvironment($"AgentC2__RateLimiting__Organizations__{ConsoleTests.LimitedOrganization}__Window", "00:05:00")
            .WithEnvironment($"AgentC2__RateLimiting__Organizations__{DrillLoad.Organization}__PermitLimit", "1000000")
            .WithEnvironment($"AgentC2__RateLimiting__Organizations__{DrillLoad.Organization}__Window", "00:01:00")
            .WithEnvironment("AgentC2__RateLimiting__ApiKey__PermitLimit", "100000")
            // As in production (and not zero as in Development): readiness answers 503 for 5 s before the agent stops
            // accepting connections, so the zero-downtime drill's edge moves traffic first.
            .WithEnvironment("AgentC2__Health__ShutdownDrainDelay", "00:00:05")
            // Sync runs still executing 3 s after the stop signal go to the queue (30 s in production), so a test sees it.
            .WithEnvironment("AgentC2__Agent__SyncRunDrain", SyncRunDrain.ToString())
            // Webhook receivers and Streamable HTTP MCP servers in tests listen on loopback, which only an operator allow-list permits.
            .WithEnvironment("AgentC2__OutboundUrls__AllowedNetworks__0", "127.0.0.0/8")
            .WithForeignMcpServers(catalogServerToken)
            // The reasoning tier is an OpenAI-compatible endpoint in the test process (the others stay offline).
            .WithEnvironment("AgentC2__Models__Tiers__reasoning__Provider", "openai")
            .WithEnvironment("AgentC2__Models__Tiers__reasoning__Endpoint", chatCompletionsEndpoint)
            .WithEnvironment("AgentC2__Models__Tiers__reasoning__Model", ChatCompletionsServer.Model)
            .WithEnvironment("AgentC2__Models__Tiers__reasoning__ApiKey", ChatCompletionsServer.ApiKey)
            .WithEnvironment("AgentC2__Models__Timeout", ModelTimeout.ToString())
            .WithEnvironment("AgentC2__Models__MaxRetries", "2")
            .WithEnvironment("AgentC2__Models__MaxRetryAfter", "00:00:05");

        worker.WithEnvironment("AgentC2__OutboundUrls__AllowedNetworks__0", "127.0.0.0/8")
            .WithEnvironment("AgentC2__Queue__LeaseDuration", LeaseDuration.ToString())
            .WithEnvironment("AgentC2__Queue__HeartbeatInterval", "00:00:01")
            .WithEnvironment("AgentC2__Queue__PollInterval", "00:00:00.500")
            .WithEnvironment("AgentC2__Queue__RetryBaseDelay", "00:00:00.200")
            .WithEnvironment("AgentC2__Queue__RetryMaxDelay", "00:00:01")
            .WithEnvironment($"AgentC2__Queue__Organizations__{AsyncRunTests.HeldOrganization}__MaxRunning", "0")
            .WithEnvironment($"AgentC2__Queue__Organizations__{QueueFairnessTests.BusyOrganization}__MaxRunning", "1000")
            .WithEnvironment($"AgentC2__Queue__Organizations__{RetentionTests.Organization}__MaxRunning", "0")
            .WithEnvironment($"AgentC2__Retention__Organizations__{RetentionTests.Organization}__Runs", "00:00:01")
            .WithEnvironment("AgentC2__Retention__Interval", "00:00:01")
            .WithEnvironment("AgentC2__Webhooks__RetryBaseDelay", "00:00:00.200")
            .WithEnvironment("AgentC2__Webhooks__RetryMaxDelay", "00:00:01")
            .WithEnvironment("AgentC2__Webhooks__PollInterval", "00:00:00.500")
            .WithEnvironment("AgentC2__Webhooks__Timeout", "00:00:05");
    }

    private static ProjectResource Project(IDistributedApplicationTestingBuilder builder, string name) =>
        builder.Resources.OfType<ProjectResource>().Single(r => r.Name == name);
}
