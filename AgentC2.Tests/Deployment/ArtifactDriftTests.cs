using System.Text.Json.Nodes;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Deployment;

/// <summary>The artifacts committed at the repository root are exactly what publishing the AppHost writes.</summary>
[Collection(PublishedArtifactsCollection.Name)]
public sealed class ArtifactDriftTests(PublishedArtifacts published)
{
    private const string Regenerate = "regenerate with the publish command in README.md (\"Deployment artifacts\")";

    /// <summary>Folders whose every file the publish writes (a file it no longer writes must go too).</summary>
    private static readonly string[] GeneratedFolders = [".do", "deploy/kubernetes", "deploy/caddy"];

    [Fact]
    public void Publishing_writes_every_artifact_in_seconds()
    {
        string[] expected =
        [
            ".do/app.yaml", ".env.example", ".github/workflows/deploy-do.yml",
            "AgentC2.Agent/Dockerfile", "AgentC2.Frontend/Dockerfile", "AgentC2.Worker/Dockerfile",
            "aspire-manifest.json", "deploy/caddy/Caddyfile.production",
            "deploy/kubernetes/agent.yaml", "deploy/kubernetes/frontend.yaml", "deploy/kubernetes/ingress.yaml",
            "deploy/kubernetes/kustomization.yaml", "deploy/kubernetes/monitoring.yaml", "deploy/kubernetes/namespace.yaml",
            "deploy/kubernetes/secrets.env.example", "deploy/kubernetes/worker.yaml",
            "deploy/prometheus/prometheus.compose.yml", "deploy/prometheus/prometheus.kubernetes.yml", "deploy/prometheus/prometheus.swarm.yml",
            "deploy/swarm/rollout.sh",
            "docker-compose.production.yml", "docker-stack.production.yml",
        ];

        Assert.Equal(expected, published.Files);
        Assert.True(published.Duration < TimeSpan.FromSeconds(60), $"publishing took {published.Duration}");
    }

    [Fact]
    public void Every_committed_artifact_is_byte_for_byte_what_the_apphost_publishes()
    {
        var drifted = new List<string>();
        foreach (var file in published.Files.Where(f => f != "aspire-manifest.json"))
        {
            var committedPath = Path.Combine(Repository.Root, file);
            var generated = File.ReadAllBytes(Path.Combine(published.Output, file));
            if (!File.Exists(committedPath))
            {
                drifted.Add($"{file}: not committed");
            }
            else if (!File.ReadAllBytes(committedPath).AsSpan().SequenceEqual(generated))
            {
                drifted.Add($"{file}: {FirstDifference(File.ReadAllLines(committedPath), published.Text(file).Split('\n'))}");
            }
        }

        Assert.True(drifted.Count == 0, $"out of date, {Regenerate}:\n{string.Join('\n', drifted)}");
    }

    [Fact]
    public void Generated_folders_hold_no_file_the_publish_no_longer_writes()
    {
        var stale = GeneratedFolders
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(Repository.Root, folder), "*", SearchOption.AllDirectories))
            .Select(path => Path.GetRelativePath(Repository.Root, path).Replace('\\', '/'))
            .Except(published.Files)
            .ToList();

        Assert.True(stale.Count == 0, $"no longer generated, delete them: {string.Join(", ", stale)}");
    }

    [Fact]
    public void Committed_manifest_matches_what_the_apphost_publishes()
    {
        var committed = WithPathsFromRoot(JsonNode.Parse(File.ReadAllText(Path.Combine(Repository.Root, "aspire-manifest.json")))!, Repository.Root);
        var generated = WithPathsFromRoot(JsonNode.Parse(published.Text("aspire-manifest.json"))!, published.Output);

        Assert.True(JsonNode.DeepEquals(committed, generated), $"aspire-manifest.json is out of date, {Regenerate}.\ncommitted:\n{committed}\ngenerated:\n{generated}");
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

    private static string FirstDifference(string[] committed, string[] generated)
    {
        for (var line = 0; line < Math.Max(committed.Length, generated.Length); line++)
        {
            var left = line < committed.Length ? committed[line] : "<end>";
            var right = line < generated.Length ? generated[line] : "<end>";
            if (left != right)
            {
                return $"line {line + 1}: committed '{left}', generated '{right}'";
            }
        }

        return "line endings differ";
    }
}
