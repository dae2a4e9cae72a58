using System.Text.Json.Nodes;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Foundation;

public sealed class ManifestDriftTests : IDisposable
{
    private readonly DirectoryInfo _output = Directory.CreateTempSubdirectory("agentc2-manifest-");

    [Fact]
    public async Task Committed_manifest_matches_what_the_apphost_publishes()
    {
        var generatedPath = Path.Combine(_output.FullName, "aspire-manifest.json");

        var outcome = await DotnetProcess.RunAsync(Repository.AppHostAssembly,
            ["--publisher", "manifest", "--output-path", generatedPath], null, TimeSpan.FromSeconds(60));

        Assert.True(outcome.ExitCode == 0 && File.Exists(generatedPath), $"publishing the manifest failed: {outcome.StandardOutput}{outcome.StandardError}");
        var committed = WithPathsFromRoot(JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Repository.Root, "aspire-manifest.json")))!, Repository.Root);
        var generated = WithPathsFromRoot(JsonNode.Parse(await File.ReadAllTextAsync(generatedPath))!, _output.FullName);
        Assert.True(JsonNode.DeepEquals(committed, generated),
            "aspire-manifest.json is out of date; regenerate it with the command in README.md (\"Regenerate the manifest\").\n"
            + $"committed:\n{committed}\ngenerated:\n{generated}");
    }

    /// <summary>Project paths in a manifest are relative to the manifest's folder; make them relative to the repository root.</summary>
    private static JsonNode WithPathsFromRoot(JsonNode manifest, string manifestDirectory)
    {
        foreach (var (_, resource) in manifest["resources"]!.AsObject())
        {
            if (resource?["path"]?.GetValue<string>() is { } path)
            {
                resource["path"] = Path.GetRelativePath(Repository.Root, Path.GetFullPath(path, manifestDirectory)).Replace('\\', '/');
            }
        }

        return manifest;
    }

    public void Dispose() => _output.Delete(recursive: true);
}
