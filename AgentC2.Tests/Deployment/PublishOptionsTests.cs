namespace AgentC2.Tests.Deployment;

/// <summary>What the artifacts never contain, and the publish-time choices.</summary>
[Collection(PublishedArtifactsCollection.Name)]
public sealed class PublishOptionsTests(PublishedArtifacts published) : IDisposable
{
    private readonly DirectoryInfo _output = Directory.CreateTempSubdirectory("agentc2-publish-options-");

    [Fact]
    public void No_secret_value_given_to_the_publish_appears_in_any_artifact()
    {
        foreach (var file in published.Files)
        {
            var text = published.Text(file);
            foreach (var (parameter, marker) in PublishedArtifacts.SecretMarkers)
            {
                Assert.False(text.Contains(marker, StringComparison.Ordinal), $"{file} contains the value of {parameter}");
            }
        }
    }

    [Fact]
    public void No_artifact_assumes_one_host()
    {
        foreach (var file in published.Files.Where(f => f != "aspire-manifest.json"))
        {
            var lines = published.Text(file).Split('\n').Where(line => !line.TrimStart().StartsWith('#')).ToList();
            Assert.DoesNotContain(lines, line => line.Contains("localhost", StringComparison.OrdinalIgnoreCase));
            // Loopback only where a container's healthcheck asks itself: Caddy's admin API, Prometheus' and Alertmanager's readiness.
            Assert.All(lines.Where(line => line.Contains("127.0.0.1", StringComparison.Ordinal)),
                line => Assert.Matches(@"^\s*- http://127\.0\.0\.1:(2019/config/|9090/-/ready|9093/-/ready)$", line));
        }
    }

    [Fact]
    public async Task Region_is_a_publish_parameter()
    {
        var outcome = await PublishedArtifacts.PublishAsync(_output.FullName, null, "--AgentC2:Deployment:Region=fra", "--AgentC2:Deployment:Domain=agents.example.org");
        Assert.True(outcome.ExitCode == 0, outcome.StandardOutput + outcome.StandardError);

        string Text(string file) => File.ReadAllText(Path.Combine(_output.FullName, file));
        var spec = YamlDocuments.Parse(Text(".do/app.yaml"))[0];
        Assert.Equal("fra", spec.Str("region"));
        Assert.Equal("agents.example.org", spec.Str("domains", 0, "domain"));
        Assert.Contains("cloud.region=${REGION:-fra}", Text("docker-compose.production.yml"), StringComparison.Ordinal);
        Assert.Equal("fra", YamlDocuments.Parse(Text("deploy/kubernetes/kustomization.yaml"))[0].Str("labels", 0, "pairs", "agentc2.io/region"));
        var ingress = YamlDocuments.Parse(Text("deploy/kubernetes/ingress.yaml"))[0];
        Assert.Equal("agents.example.org", ingress.Str("spec", "rules", 0, "host"));
        Assert.Equal("agents.example.org", ingress.Str("spec", "tls", 0, "hosts", 0));
    }

    [Fact]
    public async Task A_failing_publish_exits_non_zero_and_says_why()
    {
        var outcome = await PublishedArtifacts.PublishAsync(_output.FullName, null, "--AgentC2:Deployment:Region=not a region");

        Assert.NotEqual(0, outcome.ExitCode);
        Assert.Contains("AgentC2:Deployment", outcome.StandardOutput + outcome.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_output.FullName, "docker-compose.production.yml")));
    }

    public void Dispose() => _output.Delete(recursive: true);
}
