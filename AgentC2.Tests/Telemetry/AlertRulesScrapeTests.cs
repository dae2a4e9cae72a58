using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentC2.Tests.Fixtures;
using YamlDotNet.RepresentationModel;

namespace AgentC2.Tests.Telemetry;

/// <summary>
/// The alert rules, the Grafana dashboard and the promtool tests' input series name only what the services really
/// export: after a workload through the running application (sync, async with a webhook, MCP tool calls), every
/// replica is scraped, and every metric name and every label of a matcher (with its value, for an exact match) must be
/// in a scrape. A renamed instrument or label fails here instead of silently blinding an alert.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed partial class AlertRulesScrapeTests(AppHostFixture fixture)
{
    // Labels Prometheus adds when it scrapes, and series it makes itself.
    private static readonly string[] TargetLabels = ["job", "instance", "__name__"];
    private static readonly string[] PrometheusSeries = ["up"];

    private static readonly string[] Keywords = ["and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan"];

    [Fact]
    public async Task Every_metric_and_matcher_of_the_rules_dashboard_and_rule_tests_is_in_a_real_scrape()
    {
        var scrape = await ScrapeAfterWorkloadAsync();

        var missing = new List<string>();
        foreach (var (source, expression) in Expressions())
        {
            foreach (var selector in Selectors(expression))
            {
                missing.AddRange(Check(scrape, selector).Select(problem => $"{source}: {problem}"));
            }
        }

        Assert.True(missing.Count == 0, "Not in any scrape:\n" + string.Join('\n', missing.Distinct()));
    }

    [Theory]
    [InlineData("rate(agentc2_run_outcomes_total{outcome=\"failed\"}[5m])", "agentc2_run_outcomes_total", "outcome=failed")]
    [InlineData("histogram_quantile(0.99, sum by (job, le) (rate(db_client_operation_duration_seconds_bucket[5m]))) > 5", "db_client_operation_duration_seconds_bucket", "")]
    [InlineData("sum by (job, instance) (agentc2_mcp_clients{state=\"in_use\"}) >= on (job, instance) sum by (job, instance) (agentc2_mcp_pool_capacity)", "agentc2_mcp_clients", "state=in_use")]
    [InlineData("deriv(max(agentc2_queue_depth{status=\"queued\"})[15m:1m]) > 0", "agentc2_queue_depth", "status=queued")]
    [InlineData("sum(rate(agentc2_webhook_deliveries_total{outcome=~\"retrying|failed\"}[10m]))", "agentc2_webhook_deliveries_total", "outcome")]
    public void Selectors_are_read_from_promql_without_functions_keywords_or_grouping_labels(string expression, string metric, string matcher)
    {
        var selector = Assert.Single(Selectors(expression), s => s.Metric == metric);
        Assert.Equal(matcher, string.Join(",", selector.Matchers.Select(m => m.Value is null ? m.Label : $"{m.Label}={m.Value}")));
    }

    private async Task<Scrape> ScrapeAfterWorkloadAsync()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        await client.CreateAgentAsync("alerting");
        await using var receiver = new WebhookReceiver(500);
        var async = await client.InvokeAsyncRunAsync("alerting", new { input = "async #steps=2", executionMode = "async", callbackUrl = receiver.Url });
        using var demo = fixture.CreateApiClient(fixture.DemoApiKey);
        var replicas = (await Task.WhenAll(AppHostFixture.ServiceNames.Select(name => fixture.Replicas.AddressesAsync(name)))).SelectMany(a => a).ToList();

        // Sync runs (with an MCP tool) until both agent replicas executed one, and the async run and its webhook done.
        await Eventually.MatchAsync(async token =>
        {
            using var fresh = AppHostFixture.OnNewConnection(demo);
            using var sampled = await fresh.PostAsJsonAsync("/api/agents/sampler/invoke", new { input = "alerts #steps=2 #tool=echo" }, token);
            sampled.EnsureSuccessStatusCode();
            var scrapes = await Task.WhenAll(replicas.Select(Metrics.ScrapeAsync));
            return scrapes.Where((_, i) => i < 2).All(s => s.Contains("agentc2_mcp_pool_hits_total", StringComparison.Ordinal) || s.Contains("agentc2_mcp_pool_misses_total", StringComparison.Ordinal));
        }, done => done, TimeSpan.FromSeconds(60), "both agent replicas calling an MCP tool");
        await client.WaitForStatusAsync(async, "succeeded");
        await Eventually.MatchAsync(_ => Task.FromResult(receiver.Received.Count), count => count >= 2, TimeSpan.FromSeconds(30), "the webhook retried and delivered");

        return new Scrape(string.Join('\n', await Task.WhenAll(replicas.Select(Metrics.ScrapeAsync))));
    }

    private static IEnumerable<(string Source, string Expression)> Expressions()
    {
        var rules = Yaml("deploy/prometheus/alerts.yml");
        foreach (var group in (YamlSequenceNode)rules["groups"])
        {
            foreach (var rule in ((YamlSequenceNode)group["rules"]).Cast<YamlMappingNode>())
            {
                yield return ($"alerts.yml {rule.Children.FirstOrDefault(c => c.Key.ToString() is "alert" or "record").Value}", rule["expr"].ToString());
            }
        }

        var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "deploy/grafana/agentc2-dashboard.json")));
        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray().Where(p => p.TryGetProperty("targets", out _)))
        {
            foreach (var target in panel.GetProperty("targets").EnumerateArray().Where(t => t.TryGetProperty("expr", out _)))
            {
                yield return ($"dashboard panel \"{panel.GetProperty("title").GetString()}\"", target.GetProperty("expr").GetString()!);
            }
        }

        // The promtool tests' input series must be series the services export (labels Prometheus adds aside).
        var tests = Yaml("deploy/prometheus/alerts.test.yml");
        foreach (var test in (YamlSequenceNode)tests["tests"])
        {
            foreach (var series in ((YamlSequenceNode)test["input_series"]).Cast<YamlMappingNode>())
            {
                yield return ($"alerts.test.yml \"{test["name"]}\"", series["series"].ToString());
            }
        }
    }

    private static YamlMappingNode Yaml(string file)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(Path.Combine(Repository.Root, file)));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    internal sealed record Matcher(string Label, string? Value);

    internal sealed record Selector(string Metric, IReadOnlyList<Matcher> Matchers);

    /// <summary>The vector selectors of a PromQL expression: metric names with their label matchers (exact values kept).</summary>
    internal static IEnumerable<Selector> Selectors(string expression)
    {
        var text = Grouping().Replace(Ranges().Replace(expression, " "), " ");
        foreach (Match match in SelectorPattern().Matches(text))
        {
            var name = match.Groups["name"].Value;
            var isFunction = match.Groups["call"].Success;
            if (isFunction || Keywords.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            var matchers = MatcherPattern().Matches(match.Groups["matchers"].Value)
                .Select(m => new Matcher(m.Groups["label"].Value, m.Groups["op"].Value == "=" ? m.Groups["value"].Value : null))
                .Where(m => !TargetLabels.Contains(m.Label))
                .ToList();
            yield return new Selector(name, matchers);
        }
    }

    private static IEnumerable<string> Check(Scrape scrape, Selector selector)
    {
        if (PrometheusSeries.Contains(selector.Metric))
        {
            yield break;
        }

        if (!scrape.Series.TryGetValue(selector.Metric, out var labelSets))
        {
            yield return selector.Metric;
            yield break;
        }

        foreach (var matcher in selector.Matchers)
        {
            if (!labelSets.Any(labels => labels.ContainsKey(matcher.Label) && (matcher.Value is null || labels[matcher.Label] == matcher.Value)))
            {
                yield return $"{selector.Metric}{{{matcher.Label}{(matcher.Value is null ? "" : $"=\"{matcher.Value}\"")}}}";
            }
        }
    }

    /// <summary>Prometheus text as metric name → the label sets of its samples.</summary>
    private sealed class Scrape(string text)
    {
        public Dictionary<string, List<Dictionary<string, string>>> Series { get; } = text.Split('\n')
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => SampleLine().Match(line))
            .Where(match => match.Success)
            .GroupBy(match => match.Groups["name"].Value)
            .ToDictionary(group => group.Key, group => group
                .Select(match => MatcherPattern().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups["label"].Value, m => m.Groups["value"].Value))
                .ToList());
    }

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    // by (…), without (…), on (…), ignoring (…), group_left (…), group_right (…): label lists, not selectors.
    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex("""(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:(?<call>\()|(?:\{(?<matchers>[^}]*)\})?)""")]
    private static partial Regex SelectorPattern();

    [GeneratedRegex(@"(?<label>[a-zA-Z_][a-zA-Z0-9_]*)\s*(?<op>=~|!~|!=|=)\s*""(?<value>[^""]*)""")]
    private static partial Regex MatcherPattern();

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>.*)\})?\s""")]
    private static partial Regex SampleLine();
}
