using System.Text.Json;
using System.Text.RegularExpressions;
using AgentC2.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace AgentC2.Tests.Telemetry;

[Collection(AppHostCollection.Name)]
public sealed partial class LoggingTests(AppHostFixture fixture)
{
    [Fact]
    public async Task Json_logs_are_one_object_per_line_with_trace_ids()
    {
        // The fixture configures the worker with LOGGING__CONSOLE__FORMATTERNAME=json.
        using var client = fixture.CreateClient(AgentC2.ResourceNames.Worker);
        using var response = await client.GetAsync("/api/health/live");
        var traceParent = response.RequestMessage!.Headers.TryGetValues("traceparent", out var values) ? values.Single() : null;

        var lines = await Eventually.MatchAsync(
            _ => ReadLogLinesAsync(AgentC2.ResourceNames.Worker),
            lines => lines.Any(line => line.Contains("/api/health/live", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20), "the worker logging the request");

        // The resource log also holds the orchestrator's own notes; the service's lines are JSON, never the text format.
        Assert.DoesNotContain(lines, line => TextFormatterLine().IsMatch(line));
        var jsonLines = lines.Where(line => line.StartsWith('{')).ToList();
        Assert.Contains(jsonLines, line => line.Contains("Microsoft.Hosting.Lifetime", StringComparison.Ordinal));
        foreach (var line in jsonLines)
        {
            using var entry = JsonDocument.Parse(line);
            Assert.Equal(JsonValueKind.Object, entry.RootElement.ValueKind);
            Assert.True(DateTimeOffset.TryParse(entry.RootElement.GetProperty("Timestamp").GetString(), out _), line);
            Assert.False(string.IsNullOrEmpty(entry.RootElement.GetProperty("LogLevel").GetString()), line);
            Assert.False(string.IsNullOrEmpty(entry.RootElement.GetProperty("Category").GetString()), line);
            Assert.True(entry.RootElement.TryGetProperty("Message", out _), line);
        }

        using var request = JsonDocument.Parse(lines.First(line => line.Contains("/api/health/live", StringComparison.Ordinal)));
        var traceId = request.RootElement.GetProperty("Scopes").EnumerateArray()
            .Where(scope => scope.ValueKind == JsonValueKind.Object && scope.TryGetProperty("TraceId", out _))
            .Select(scope => scope.GetProperty("TraceId").GetString())
            .Single();
        Assert.Matches("^[0-9a-f]{32}$", traceId);
        if (traceParent is not null)
        {
            Assert.Contains(traceId!, traceParent, StringComparison.Ordinal);
        }
    }

    private async Task<IReadOnlyList<string>> ReadLogLinesAsync(string resourceName)
    {
        var resource = fixture.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resourceName);
        var lines = new List<string>();
        await foreach (var batch in fixture.App.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(resource))
        {
            lines.AddRange(batch.Select(line => WithoutTimestamp(line.Content)).Where(line => !string.IsNullOrWhiteSpace(line)));
        }

        return lines;
    }

    // Each line as stored by the orchestrator starts with the time it was received.
    private static string WithoutTimestamp(string content)
    {
        var parts = content.Split(' ', 2);
        return parts.Length == 2 && DateTimeOffset.TryParse(parts[0], out _) ? parts[1] : content;
    }

    // "info: Category[0]" and friends: what the simple console formatter writes.
    [GeneratedRegex("^(trce|dbug|info|warn|fail|crit): ")]
    private static partial Regex TextFormatterLine();
}
