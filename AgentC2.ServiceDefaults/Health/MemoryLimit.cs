using System.Globalization;

namespace AgentC2.ServiceDefaults.Health;

/// <summary>A memory limit in bytes and where it came from.</summary>
internal readonly record struct MemoryLimitReading(long Bytes, string Source);

/// <summary>
/// The memory this process may use: the tightest cgroup limit on its cgroup path (v2
/// <c>memory.max</c>, or v1 <c>memory.limit_in_bytes</c>), else the machine's physical memory.
/// </summary>
internal sealed class MemoryLimit(string procRoot = "/proc", string cgroupRoot = "/sys/fs/cgroup")
{
    // cgroup v1 reports "no limit" as a huge page-aligned number rather than "max".
    private const long CgroupV1Unlimited = long.MaxValue / 2;

    public MemoryLimitReading Read() =>
        ReadCgroupLimit() ?? ReadPhysicalMemory() ?? new(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, "runtime");

    private MemoryLimitReading? ReadCgroupLimit()
    {
        var membership = Path.Combine(procRoot, "self", "cgroup");
        if (!File.Exists(membership))
        {
            return null;
        }

        MemoryLimitReading? tightest = null;
        foreach (var line in File.ReadLines(membership))
        {
            // "hierarchy-id:controllers:path": v2 is "0::/path"; v1 memory is "N:memory:/path" (controllers may be a list).
            var parts = line.Split(':', 3);
            if (parts.Length != 3)
            {
                continue;
            }

            var (directory, file) = parts[1] switch
            {
                "" => (cgroupRoot, "memory.max"),
                var controllers when controllers.Split(',').Contains("memory") => (Path.Combine(cgroupRoot, "memory"), "memory.limit_in_bytes"),
                _ => (null, null),
            };
            if (directory is null || file is null)
            {
                continue;
            }

            foreach (var candidate in SelfAndAncestors(directory, parts[2]))
            {
                var limitFile = Path.Combine(candidate, file);
                if (TryReadLimit(limitFile) is { } bytes && (tightest is null || bytes < tightest.Value.Bytes))
                {
                    tightest = new(bytes, $"cgroup {limitFile}");
                }
            }
        }

        return tightest;
    }

    private static IEnumerable<string> SelfAndAncestors(string root, string cgroupPath)
    {
        var segments = cgroupPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var depth = segments.Length; depth >= 0; depth--)
        {
            yield return Path.Combine([root, .. segments.Take(depth)]);
        }
    }

    private static long? TryReadLimit(string file)
    {
        if (!File.Exists(file))
        {
            return null;
        }

        var text = File.ReadAllText(file).Trim();
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) && bytes > 0 && bytes < CgroupV1Unlimited
            ? bytes
            : null;
    }

    private MemoryLimitReading? ReadPhysicalMemory()
    {
        var meminfo = Path.Combine(procRoot, "meminfo");
        if (!File.Exists(meminfo))
        {
            return null;
        }

        var total = File.ReadLines(meminfo).FirstOrDefault(line => line.StartsWith("MemTotal:", StringComparison.Ordinal));
        var fields = total?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields is { Length: >= 2 } && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kibibytes)
            ? new(kibibytes * 1024, "physical memory")
            : null;
    }
}
