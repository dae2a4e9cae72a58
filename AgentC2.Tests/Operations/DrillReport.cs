using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Operations;

/// <summary>Where the drills leave their numbers: <c>artifacts/</c> at the repository root.</summary>
internal static class DrillReport
{
    public static async Task WriteAsync(string name, string report, IEnumerable<DrillLoad.Exchange> notServed)
    {
        Directory.CreateDirectory(Path.Combine(Repository.Root, "artifacts"));
        await File.WriteAllTextAsync(Path.Combine(Repository.Root, "artifacts", name), report + "\n" + string.Join('\n', notServed) + "\n");
    }
}
