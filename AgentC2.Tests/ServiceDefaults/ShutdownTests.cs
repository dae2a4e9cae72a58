extern alias ServiceDefaults;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ServiceDefaults::AgentC2.ServiceDefaults.Health;

namespace AgentC2.Tests.ServiceDefaults;

public sealed class ShutdownTests
{
    [Fact]
    public async Task Readiness_fails_once_the_host_begins_to_stop()
    {
        using var lifetime = new Lifetime();
        var check = new ShutdownHealthCheck(lifetime);

        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
        lifetime.StopApplication();
        Assert.Equal(HealthStatus.Unhealthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
    }

    [Fact]
    public async Task Stopping_waits_for_the_drain_delay_before_the_server_stops()
    {
        var time = new FakeTimeProvider();
        var drain = new ShutdownDrain(Options.Create(new HealthOptions { ShutdownDrainDelay = TimeSpan.FromSeconds(5) }), time, NullLogger<ShutdownDrain>.Instance);

        var stopping = drain.StoppingAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(stopping.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(0.1));
        await stopping.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task The_shutdown_timeout_cuts_the_drain_short()
    {
        var drain = new ShutdownDrain(Options.Create(new HealthOptions { ShutdownDrainDelay = TimeSpan.FromMinutes(1) }), new FakeTimeProvider(), NullLogger<ShutdownDrain>.Instance);
        using var timeout = new CancellationTokenSource();

        var stopping = drain.StoppingAsync(timeout.Token);
        await timeout.CancelAsync();

        await stopping.WaitAsync(TimeSpan.FromSeconds(5));
    }

    private sealed class Lifetime : IHostApplicationLifetime, IDisposable
    {
        private readonly CancellationTokenSource _stopping = new();

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => _stopping.Token;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => _stopping.Cancel();

        public void Dispose() => _stopping.Dispose();
    }
}
