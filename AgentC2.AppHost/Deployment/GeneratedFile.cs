using System.Globalization;

namespace AgentC2.AppHost.Deployment;

/// <summary>One artifact: its path relative to the publish output folder, and its text.</summary>
internal sealed record GeneratedFile(string Path, string Content);

/// <summary>How quantities are spelled in the artifacts.</summary>
internal static class Units
{
    public static string Cpus(double cores) => cores.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Compose: <c>4G</c>, <c>512M</c>.</summary>
    public static string ComposeMemory(int mib) => mib % 1024 == 0 ? $"{mib / 1024}G" : $"{mib}M";

    /// <summary>Kubernetes: <c>4Gi</c>, <c>512Mi</c>.</summary>
    public static string KubernetesMemory(int mib) => ComposeMemory(mib) + "i";

    /// <summary>Kubernetes CPU in millicores: <c>500m</c>, <c>2</c>.</summary>
    public static string KubernetesCpu(double cores) =>
        cores == Math.Floor(cores) ? Cpus(cores) : $"{Math.Round(cores * 1000).ToString(CultureInfo.InvariantCulture)}m";

    public static string Seconds(TimeSpan duration) => $"{(int)duration.TotalSeconds}s";
}
