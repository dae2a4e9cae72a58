extern alias WorkerService;
using WorkerService::AgentC2.Worker.Queue;

namespace AgentC2.Tests.AsyncRuns;

public sealed class BackoffTests
{
    private static readonly TimeSpan Base = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Max = TimeSpan.FromMinutes(5);

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(3, 8)]
    [InlineData(6, 64)]
    public void The_delay_doubles_per_attempt_and_jitter_spreads_it_over_its_upper_half(int attempt, double seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.Delay(attempt, Base, Max, jitter: 1));
        Assert.Equal(TimeSpan.FromSeconds(seconds / 2), Backoff.Delay(attempt, Base, Max, jitter: 0));
        Assert.InRange(Backoff.Delay(attempt, Base, Max, jitter: 0.5), TimeSpan.FromSeconds(seconds / 2), TimeSpan.FromSeconds(seconds));
    }

    [Fact]
    public void The_delay_is_capped()
    {
        Assert.Equal(Max, Backoff.Delay(20, Base, Max, jitter: 1));
        Assert.Equal(Max, Backoff.Delay(int.MaxValue, Base, Max, jitter: 1));
        Assert.Equal(Base / 2, Backoff.Delay(0, Base, Max, jitter: 0));
    }
}
