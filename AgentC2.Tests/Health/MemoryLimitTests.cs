extern alias ServiceDefaults;
using ServiceDefaults::AgentC2.ServiceDefaults.Health;

namespace AgentC2.Tests.Health;

public sealed class MemoryLimitTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("agentc2-memory-");

    private string Proc => Path.Combine(_root.FullName, "proc");

    private string Cgroup => Path.Combine(_root.FullName, "cgroup");

    [Fact]
    public void Cgroup_v2_limit_of_the_process_cgroup_wins()
    {
        Write("proc/self/cgroup", "0::/system.slice/agent.service\n");
        Write("cgroup/system.slice/agent.service/memory.max", "4294967296\n");
        Write("proc/meminfo", "MemTotal:       24000000 kB\n");

        var limit = new MemoryLimit(Proc, Cgroup).Read();

        Assert.Equal(4L * 1024 * 1024 * 1024, limit.Bytes);
        Assert.Contains("memory.max", limit.Source, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ancestor_cgroup_limit_applies_when_the_leaf_has_none()
    {
        Write("proc/self/cgroup", "0::/kubepods/pod1/container\n");
        Write("cgroup/kubepods/pod1/container/memory.max", "max\n");
        Write("cgroup/kubepods/pod1/memory.max", "2147483648\n");
        Write("cgroup/kubepods/memory.max", "8589934592\n");

        Assert.Equal(2L * 1024 * 1024 * 1024, new MemoryLimit(Proc, Cgroup).Read().Bytes);
    }

    [Fact]
    public void Cgroup_v1_memory_controller_is_read_and_its_unlimited_value_ignored()
    {
        Write("proc/self/cgroup", "12:cpu,cpuacct:/docker/abc\n9:memory:/docker/abc\n");
        Write("cgroup/memory/docker/abc/memory.limit_in_bytes", "1073741824\n");
        Write("cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");

        Assert.Equal(1024L * 1024 * 1024, new MemoryLimit(Proc, Cgroup).Read().Bytes);
    }

    [Fact]
    public void Without_a_cgroup_limit_physical_memory_is_the_limit()
    {
        Write("proc/self/cgroup", "0::/user.slice\n");
        Write("cgroup/user.slice/memory.max", "max\n");
        Write("proc/meminfo", "MemTotal:       16384 kB\nMemFree:        1 kB\n");

        var limit = new MemoryLimit(Proc, Cgroup).Read();

        Assert.Equal(16384L * 1024, limit.Bytes);
        Assert.Equal("physical memory", limit.Source);
    }

    [Fact]
    public void This_machine_reports_a_positive_limit()
    {
        Assert.True(new MemoryLimit().Read().Bytes > 0);
    }

    private void Write(string relativePath, string content)
    {
        var path = Path.Combine(_root.FullName, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public void Dispose() => _root.Delete(recursive: true);
}
