using System.Net;
using System.Text.RegularExpressions;

namespace AgentC2.Tests.Fixtures;

/// <summary>The console's forms as a client without a browser posts them.</summary>
internal static partial class ConsoleForms
{
    /// <summary>The antiforgery token of a page's form.</summary>
    public static string Token(string html) => AntiforgeryToken().Match(html) is { Success: true } match
        ? WebUtility.HtmlDecode(match.Groups[1].Value)
        : throw new Xunit.Sdk.XunitException("the page has no antiforgery token");

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();
}
