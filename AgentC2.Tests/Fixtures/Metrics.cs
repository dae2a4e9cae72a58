using System.Globalization;

namespace AgentC2.Tests.Fixtures;

/// <summary>Reads Prometheus text from services.</summary>
internal static class Metrics
{
    public static async Task<string> ScrapeAsync(Uri address)
    {
        using var client = new HttpClient { BaseAddress = address };
        return await client.GetStringAsync("/api/metrics");
    }

    /// <summary>The sum of every sample of a metric (all label sets) across the given instances.</summary>
    public static async Task<double> SumAsync(IEnumerable<Uri> addresses, string metric)
    {
        var total = 0.0;
        foreach (var address in addresses)
        {
            total += Samples(await ScrapeAsync(address), metric).Sum();
        }

        return total;
    }

    public static IEnumerable<double> Samples(string text, string metric) =>
        text.Split('\n')
            .Where(line => line.StartsWith(metric + "{", StringComparison.Ordinal) || line.StartsWith(metric + " ", StringComparison.Ordinal))
            .Select(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
}
