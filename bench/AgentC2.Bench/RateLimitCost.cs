using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using System.Threading.RateLimiting;
using AgentC2.Agent;
using AgentC2.Agent.RateLimiting;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace AgentC2.Bench;

/// <summary>
/// One rate-limit decision as the agent makes it (organization window + key window, one Lua script
/// in Redis) against the floor: one EVAL round trip to the same Redis. Sequential, so each figure is
/// a latency; medians of three rounds.
/// </summary>
internal static class RateLimitCost
{
    public static async Task<int> RunAsync(string redisAddress, int count)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(redisAddress);
        var database = redis.GetDatabase();
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var metrics = new AgentMetrics(meters);
        var window = new WindowLimit { PermitLimit = int.MaxValue, Window = TimeSpan.FromHours(1) };
        using var limiter = new RedisWindowsRateLimiter(redis,
            [
                new RateWindow("organization", "agentc2:bench:{o}:org", window),
                new RateWindow("api-key", "agentc2:bench:{o}:key", window),
            ],
            metrics, NullLogger.Instance);

        var decision = new List<double>();
        var eval = new List<double>();
        for (var round = 0; round < 3; round++)
        {
            eval.Add(await TimeAsync(count, () => database.ScriptEvaluateAsync("return 1")));
            decision.Add(await TimeAsync(count, async () =>
            {
                using var lease = await limiter.AcquireAsync(1);
                if (!lease.IsAcquired)
                {
                    throw new InvalidOperationException("The benchmark's window should never run out.");
                }
            }));
        }

        var evalMedian = Rounds.Median(eval);
        var decisionMedian = Rounds.Median(decision);
        Console.WriteLine($"rate-limit decision (2 windows)   {decisionMedian:F1} µs   (rounds: {Rounds.List(decision)})");
        Console.WriteLine($"  baseline: one Redis EVAL        {evalMedian:F1} µs   (rounds: {Rounds.List(eval)})");
        Console.WriteLine($"  ratio (medians)                 {decisionMedian / evalMedian:F2} x");
        return 0;
    }

    private static async Task<double> TimeAsync(int count, Func<Task> operation)
    {
        for (var i = 0; i < Math.Min(count, 200); i++)
        {
            await operation();
        }

        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            await operation();
        }

        return watch.Elapsed.TotalMicroseconds / count;
    }
}
