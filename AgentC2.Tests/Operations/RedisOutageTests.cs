extern alias AgentService;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Threading.RateLimiting;
using AgentService::AgentC2.Agent;
using AgentService::AgentC2.Agent.Caching;
using AgentService::AgentC2.Agent.RateLimiting;
using AgentService::AgentC2.Agent.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace AgentC2.Tests.Operations;

/// <summary>
/// What the agent does when Redis fails a command the way StackExchange.Redis does while its connection is down or
/// being re-established under the fail-fast backlog policy: the command's task is cancelled, not faulted with a
/// <see cref="RedisException"/>. Every such call site treats it as Redis being away, never as a 500.
/// </summary>
public sealed class RedisOutageTests
{
    private static readonly WindowLimit Limit = new() { PermitLimit = 1, Window = TimeSpan.FromMinutes(1) };

    [Fact]
    public void A_cancelled_command_is_an_outage_unless_the_caller_cancelled()
    {
        using var aborted = new CancellationTokenSource();
        aborted.Cancel();

        Assert.True(RedisOutage.Is(new TaskCanceledException()));
        Assert.True(RedisOutage.Is(new RedisConnectionException(ConnectionFailureType.SocketFailure, "down")));
        Assert.True(RedisOutage.Is(new RedisTimeoutException("slow", CommandStatus.Sent)));
        Assert.False(RedisOutage.Is(new TaskCanceledException(), aborted.Token));
        Assert.False(RedisOutage.Is(new InvalidOperationException()));
    }

    [Fact]
    public async Task The_rate_limiter_lets_the_request_through_and_counts_it()
    {
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new AgentMetrics(services.GetRequiredService<IMeterFactory>());
        long failedOpen = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "agentc2.rate_limit.fail_open")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref failedOpen, value));
        listener.Start();
        using var limiter = new RedisWindowsRateLimiter(CancellingRedis.Create(), [new RateWindow("organization", "test:org", Limit)], metrics, NullLogger.Instance);

        using var lease = await limiter.AcquireAsync(1);

        Assert.True(lease.IsAcquired);
        Assert.Equal(1, Interlocked.Read(ref failedOpen));
    }

    [Fact]
    public async Task The_rate_limiter_stops_for_a_request_that_was_aborted()
    {
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var limiter = new RedisWindowsRateLimiter(CancellingRedis.Create(), [new RateWindow("organization", "test:org", Limit)],
            new AgentMetrics(services.GetRequiredService<IMeterFactory>()), NullLogger.Instance);
        using var aborted = new CancellationTokenSource();
        aborted.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await limiter.AcquireAsync(1, aborted.Token));
    }

    [Fact]
    public async Task A_change_is_still_applied_here_when_it_cannot_be_announced()
    {
        await using var services = new ServiceCollection().AddSingleton(CancellingRedis.Create()).BuildServiceProvider();
        using var cache = new SharedInvalidationCache<string>("test:changes", TimeSpan.FromMinutes(1), services, TimeProvider.System, NullLogger.Instance);
        Assert.Equal("old", await cache.GetOrLoadAsync("key", _ => Task.FromResult<string?>("old"), CancellationToken.None));

        await cache.InvalidateAsync();

        Assert.Equal("new", await cache.GetOrLoadAsync("key", _ => Task.FromResult<string?>("new"), CancellationToken.None));
    }

    [Fact]
    public async Task A_run_is_followed_from_the_database_alone_when_its_channel_cannot_be_joined()
    {
        await using var services = new ServiceCollection().AddSingleton(CancellingRedis.Create()).BuildServiceProvider();
        var events = new RunEvents(services, NullLogger<RunEvents>.Instance);

        await using var subscription = await events.SubscribeAsync(Guid.NewGuid(), _ => { });
        events.Publish(new RunEvent(Guid.NewGuid(), null, null));
    }

    /// <summary>
    /// A Redis client whose every command completes cancelled, as StackExchange.Redis completes one it failed to write
    /// (the connection is down or its write lock was not taken in time). Anything else it is asked is a test error.
    /// </summary>
    public class CancellingRedis : DispatchProxy
    {
        private static readonly MethodInfo FromCanceled = typeof(Task).GetMethods()
            .Single(m => m is { Name: nameof(Task.FromCanceled), IsGenericMethod: true });

        public static IConnectionMultiplexer Create() => Create<IConnectionMultiplexer, CancellingRedis>();

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            var returns = targetMethod!.ReturnType;
            var cancelled = new CancellationToken(canceled: true);
            if (returns == typeof(IDatabase))
            {
                return Create<IDatabase, CancellingRedis>();
            }

            if (returns == typeof(ISubscriber))
            {
                return Create<ISubscriber, CancellingRedis>();
            }

            if (returns == typeof(Task))
            {
                return Task.FromCanceled(cancelled);
            }

            if (returns.IsGenericType && returns.GetGenericTypeDefinition() == typeof(Task<>))
            {
                return FromCanceled.MakeGenericMethod(returns.GetGenericArguments()).Invoke(null, [cancelled]);
            }

            // A fire-and-forget publish is accepted and lost, as it is when the connection is down.
            if (targetMethod.Name == nameof(ISubscriber.Publish))
            {
                return 0L;
            }

            throw new NotSupportedException($"the cancelling Redis client has no answer to {targetMethod.Name}");
        }
    }
}
