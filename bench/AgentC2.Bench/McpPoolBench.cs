using System.Diagnostics;
using System.Diagnostics.Metrics;
using AgentC2.Agent.Mcp;
using AgentC2.Agent.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AgentC2.Bench;

/// <summary>
/// The MCP pool against its baselines, on the sample stdio server (real processes, the product's pool and connector code):
/// 1. one tool call through the pool vs on a plain, already-open client vs a cold start of the server;
/// 2. 200 organizations calling with Zipf-skewed popularity: hit rate once warm, peak server processes, RSS over time.
/// </summary>
internal static class McpPoolBench
{
    private const string MarkerVariable = "AGENTC2_BENCH_MARKER";

    public static async Task<int> RunAsync(string sampleAssembly, int seconds, double zipfExponent)
    {
        var marker = Guid.NewGuid().ToString("N");
        var entry = new McpCatalogEntry { Command = "dotnet", Args = [sampleAssembly], Environment = { [MarkerVariable] = marker } };
        var args = new Dictionary<string, object?> { ["text"] = "ping" };

        // 1a. Cold start: spawn + initialize + list tools + one call + dispose.
        var cold = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await using var session = await StartAsync(entry, "cold");
            await session.CallToolAsync("echo", args, CancellationToken.None);
            cold.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        // 1b. A plain open client, and 1c. the pool, alternating rounds so that noise hits both alike. The two clients
        // talk to two server processes, each with its own JIT: the first rounds are unmeasured, so that both servers
        // (and the bench) run tier-1 code before any round counts; the cold path is 1a's.
        const int calls = 2_000, warmUpRounds = 3;
        var plain = await StartAsync(entry, "plain");
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = Options.Create(new McpOptions { Catalog = { ["samples"] = entry } });
        await using var pool = new McpClientPool(new CatalogConnector(entry), options, new McpPoolMetrics(services.GetRequiredService<IMeterFactory>()), TimeProvider.System, NullLogger<McpClientPool>.Instance);
        var key = new McpServerKey(Guid.NewGuid(), "samples");
        (await pool.AcquireAsync(key, CancellationToken.None)).Dispose();
        var plainRounds = new List<double>();
        var pooledRounds = new List<double>();
        for (var round = 0; round < warmUpRounds + 5; round++)
        {
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < calls; i++)
            {
                await plain.CallToolAsync("echo", args, CancellationToken.None);
            }

            var plainUsPerCall = Stopwatch.GetElapsedTime(started).TotalMilliseconds * 1000 / calls;
            started = Stopwatch.GetTimestamp();
            for (var i = 0; i < calls; i++)
            {
                using var lease = await pool.AcquireAsync(key, CancellationToken.None);
                await lease.Session.CallToolAsync("echo", args, CancellationToken.None);
            }

            var pooledUsPerCall = Stopwatch.GetElapsedTime(started).TotalMilliseconds * 1000 / calls;
            if (round >= warmUpRounds)
            {
                plainRounds.Add(plainUsPerCall);
                pooledRounds.Add(pooledUsPerCall);
            }
        }

        var plainUs = Rounds.Median(plainRounds);
        var pooledUs = Rounds.Median(pooledRounds);
        var coldUs = Rounds.Median(cold) * 1000;
        Console.WriteLine($"tool call, plain open client      {plainUs,10:F1} µs   (rounds after {warmUpRounds} unmeasured: {Rounds.List(plainRounds)})");
        Console.WriteLine($"tool call, through the pool       {pooledUs,10:F1} µs   (rounds after {warmUpRounds} unmeasured: {Rounds.List(pooledRounds)})");
        Console.WriteLine($"cold start + call (spawn, init)   {coldUs,10:F0} µs   (median of {cold.Count})");
        Console.WriteLine($"  pooled / plain                  {pooledUs / plainUs,10:F2} x (target <= 1.5)");
        Console.WriteLine($"  cold / pooled                   {coldUs / pooledUs,10:F0} x");
        await pool.DisposeAsync();
        await plain.DisposeAsync();

        // The same workload under each admission policy: plain LRU first (the baseline), then the product's default.
        foreach (var policy in new[] { McpAdmissionPolicy.Recency, McpAdmissionPolicy.Frequency })
        {
            await ZipfAsync(entry, marker, seconds, zipfExponent, policy, services);
        }

        return 0;
    }

    private static async Task ZipfAsync(McpCatalogEntry entry, string marker, int seconds, double exponent, McpAdmissionPolicy policy, IServiceProvider services)
    {
        const int organizations = 200;
        const int callers = 8;
        var options = Options.Create(new McpOptions { Catalog = { ["samples"] = entry }, Pool = { Admission = policy } });
        var metrics = new McpPoolMetrics(services.GetRequiredService<IMeterFactory>());
        await using var pool = new McpClientPool(new CatalogConnector(entry), options, metrics, TimeProvider.System, NullLogger<McpClientPool>.Instance);
        var keys = Enumerable.Range(0, organizations).Select(_ => new McpServerKey(Guid.NewGuid(), "samples")).ToArray();
        var weights = Enumerable.Range(1, organizations).Select(rank => 1 / Math.Pow(rank, exponent)).ToArray();
        var total = weights.Sum();
        var cumulative = weights.Select((w, i) => weights.Take(i + 1).Sum() / total).ToArray();
        var idealHitRate = weights.Take(20).Sum() / total;

        long calls = 0, warmCalls = 0, warmMisses = 0, warmMissesInTop = 0, failures = 0;
        var missesByRank = new long[20];
        var warm = false;
        var peakProcesses = 0;
        var rss = new List<(double Seconds, double Megabytes, int Processes)>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));

        async Task CallerAsync(int seed)
        {
            var random = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                var found = Array.BinarySearch(cumulative, random.NextDouble());
                var rank = Math.Min(found < 0 ? ~found : found, keys.Length - 1);
                var key = keys[rank];
                var before = pool.State().Entries.Any(e => e.OrganizationId == key.OrganizationId);
                try
                {
                    using var lease = await pool.AcquireAsync(key, CancellationToken.None);
                    await lease.Session.CallToolAsync("echo", new Dictionary<string, object?> { ["text"] = "zipf" }, CancellationToken.None);
                }
                catch (Exception exception) when (exception is McpPoolExhaustedException or McpServerUnavailableException)
                {
                    Interlocked.Increment(ref failures);
                }

                Interlocked.Increment(ref calls);
                if (Volatile.Read(ref warm))
                {
                    Interlocked.Increment(ref warmCalls);
                    if (!before)
                    {
                        Interlocked.Increment(ref warmMisses);
                        if (rank < 20)
                        {
                            Interlocked.Increment(ref warmMissesInTop);
                            Interlocked.Increment(ref missesByRank[rank]);
                        }
                    }
                }
            }
        }

        async Task SampleAsync()
        {
            var nextRss = 0.0;
            while (!stop.IsCancellationRequested)
            {
                var processes = Processes(marker);
                peakProcesses = Math.Max(peakProcesses, processes.Count);
                if (clock.Elapsed.TotalSeconds >= nextRss)
                {
                    var megabytes = (Rss(Environment.ProcessId) + processes.Sum(Rss)) / 1024.0 / 1024.0;
                    rss.Add((clock.Elapsed.TotalSeconds, megabytes, processes.Count));
                    nextRss += Math.Max(1, seconds / 12.0);
                }

                if (!warm && clock.Elapsed > TimeSpan.FromSeconds(Math.Min(15, seconds / 4.0)))
                {
                    Volatile.Write(ref warm, true);
                }

                await Task.Delay(200, CancellationToken.None);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, callers).Select(seed => Task.Run(() => CallerAsync(seed))).Append(SampleAsync()));
        Console.WriteLine();
        Console.WriteLine($"admission by {policy.ToString().ToLowerInvariant()}{(policy == McpAdmissionPolicy.Recency ? " (plain LRU)" : " (W-TinyLFU, the default)")}: 200 organizations, Zipf exponent {exponent}, {callers} callers, {seconds} s: {calls} calls ({calls / (double)seconds:F0}/s), {failures} refused");
        Console.WriteLine($"  hit rate once warm                {(warmCalls - warmMisses) / (double)Math.Max(1, warmCalls) * 100,8:F2} %   (target >= 99.3 %; a perfect cache of 20 would reach {idealHitRate * 100:F2} %)");
        Console.WriteLine($"  misses once warm                  {warmMisses,8}     ({warmMissesInTop} of them the 20 busiest organizations', which a perfect cache would not miss)");
        Console.WriteLine($"    by rank 1..20: {string.Join(" ", missesByRank)}");
        Console.WriteLine($"  peak server processes             {peakProcesses,8}     (target <= 20)");
        Console.WriteLine("  RSS, bench process + server processes:");
        Console.WriteLine("      t (s)   RSS (MiB)   processes");
        foreach (var (t, mb, n) in rss)
        {
            Console.WriteLine($"    {t,7:F0}   {mb,9:F0}   {n,9}");
        }
    }

    private static List<int> Processes(string marker)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(directory, "environ")).Contains($"{MarkerVariable}={marker}", StringComparison.Ordinal))
                    {
                        found.Add(pid);
                    }
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                }
            }
        }

        return found;
    }

    private static long Rss(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static Task<IMcpSession> StartAsync(McpCatalogEntry entry, string name, CancellationToken cancellationToken = default)
    {
        var environment = CatalogServerEnvironment.For("samples", entry, Path.GetTempPath(), Environment.GetEnvironmentVariable, new ServiceSecrets([]));
        var (transport, group) = McpConnector.StdioTransport(name, entry, environment, Path.GetTempPath(), NullLoggerFactory.Instance);
        return McpConnector.StartAsync(transport, NullLoggerFactory.Instance, cancellationToken, group);
    }

    /// <summary>Every key is the catalog's sample server (the bench has no database to look registrations up in).</summary>
    private sealed class CatalogConnector(McpCatalogEntry entry) : IMcpConnector
    {
        public Task<IMcpSession> ConnectAsync(McpServerKey key, CancellationToken cancellationToken) => StartAsync(entry, key.ToString(), cancellationToken);
    }
}
