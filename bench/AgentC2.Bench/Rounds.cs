using System.Globalization;

namespace AgentC2.Bench;

/// <summary>The rounds of a measurement: their median, and the list printed beside it.</summary>
internal static class Rounds
{
    public static double Median(IReadOnlyCollection<double> rounds) => rounds.Order().ElementAt(rounds.Count / 2);

    public static string List(IEnumerable<double> rounds) =>
        string.Join(", ", rounds.Select(r => r.ToString("F1", CultureInfo.InvariantCulture)));
}
