extern alias ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ServiceDefaults::AgentC2.ServiceDefaults.Health;

namespace AgentC2.Tests.Draining;

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
        using var stages = new InstanceDrain();
        var drain = new ShutdownDrain(Options.Create(new HealthOptions { ShutdownDrainDelay = TimeSpan.FromSeconds(5) }), stages, time, NullLogger<ShutdownDrain>.Instance);

        var stopping = drain.StoppingAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(stopping.IsCompleted);
        // Event streams go on while load balancers take the instance out, and end when the drain is over.
        Assert.False(stages.StreamsEnding.IsCancellationRequested);
        time.Advance(TimeSpan.FromSeconds(0.1));
        await stopping.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(stages.StreamsEnding.IsCancellationRequested);
    }

    [Fact]
    public async Task The_shutdown_timeout_cuts_the_drain_short()
    {
        using var stages = new InstanceDrain();
        var drain = new ShutdownDrain(Options.Create(new HealthOptions { ShutdownDrainDelay = TimeSpan.FromMinutes(1) }), stages, new FakeTimeProvider(), NullLogger<ShutdownDrain>.Instance);
        using var timeout = new CancellationTokenSource();

        var stopping = drain.StoppingAsync(timeout.Token);
        await timeout.CancelAsync();

        await stopping.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Answers_ask_http1_clients_to_close_their_connection_once_the_host_begins_to_stop()
    {
        using var lifetime = new Lifetime();
        var builder = new ApplicationBuilder(new ServiceCollection().BuildServiceProvider());
        new CloseConnectionsWhileDraining(lifetime).Configure(app => app.Run(_ => Task.CompletedTask))(builder);
        var pipeline = builder.Build();

        async Task<string> ConnectionHeader(string protocol)
        {
            var context = new DefaultHttpContext { Request = { Protocol = protocol } };
            await pipeline(context);
            return context.Response.Headers.Connection.ToString();
        }

        Assert.Equal(string.Empty, await ConnectionHeader("HTTP/1.1"));
        lifetime.StopApplication();
        Assert.Equal("close", await ConnectionHeader("HTTP/1.1"));
        Assert.Equal("close", await ConnectionHeader("HTTP/1.0"));
        // HTTP/2 has no Connection header; its connections end with GOAWAY when the server stops.
        Assert.Equal(string.Empty, await ConnectionHeader("HTTP/2"));
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
