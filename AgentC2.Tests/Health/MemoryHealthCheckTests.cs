extern alias ServiceDefaults;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using AgentC2.Tests.Fixtures;
using ServiceDefaults::AgentC2.ServiceDefaults.Health;

namespace AgentC2.Tests.Health;

public sealed class MemoryHealthCheckTests : IDisposable
{
    private const long Limit = 1000 * 1024 * 1024;
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("agentc2-memcheck-");

    [Theory]
    [InlineData(500, HealthStatus.Healthy)]
    [InlineData(800, HealthStatus.Healthy)]
    [InlineData(801, HealthStatus.Degraded)]
    [InlineData(990, HealthStatus.Degraded)]
    public async Task Degraded_above_80_percent_of_the_limit(long residentMebibytes, HealthStatus expected)
    {
        var check = new MemoryHealthCheck(LimitOf(Limit), new StaticOptionsMonitor<HealthOptions>(new HealthOptions()), () => residentMebibytes * 1024 * 1024);

        var result = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(expected, result.Status);
        Assert.Equal(Limit, result.Data["limitBytes"]);
        Assert.Contains($"resident {residentMebibytes} MiB of 1000 MiB", result.Description, StringComparison.Ordinal);
    }

    private MemoryLimit LimitOf(long bytes)
    {
        Directory.CreateDirectory(Path.Combine(_root.FullName, "proc", "self"));
        Directory.CreateDirectory(Path.Combine(_root.FullName, "cgroup"));
        File.WriteAllText(Path.Combine(_root.FullName, "proc", "self", "cgroup"), "0::/\n");
        File.WriteAllText(Path.Combine(_root.FullName, "cgroup", "memory.max"), bytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new MemoryLimit(Path.Combine(_root.FullName, "proc"), Path.Combine(_root.FullName, "cgroup"));
    }

    public void Dispose() => _root.Delete(recursive: true);
}
