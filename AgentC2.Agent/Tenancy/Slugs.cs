using System.Text.RegularExpressions;

namespace AgentC2.Agent.Tenancy;

/// <summary>Slugs name organizations, agents and MCP servers in URLs: 1-64 lower-case letters, digits and dashes.</summary>
internal static partial class Slugs
{
    public const string Rule = "1-64 lower-case letters, digits and dashes, starting with a letter or digit";

    public static bool IsValid(string? value) => value is not null && Pattern().IsMatch(value);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex Pattern();
}
