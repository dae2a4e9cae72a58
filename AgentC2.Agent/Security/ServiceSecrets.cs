using System.Text.RegularExpressions;

namespace AgentC2.Agent.Security;

/// <summary>
/// The secret values of this service's own configuration: passwords inside connection strings, and every setting whose
/// name says it holds a secret (<c>…Password</c>, <c>…Secret</c>, <c>…ApiKey</c>, <c>…Token</c>, <c>…Credential</c>;
/// e.g. the operator and demo keys, the internal credential, model API keys, values a catalog entry gives its server).
/// <see cref="Redact"/> replaces each of them (and its URI-escaped form) in text that came from outside: tool results
/// and tool errors, before they are stored, logged or returned. Values shorter than <see cref="MinimumLength"/> are
/// not treated as secrets (they would redact ordinary words).
/// </summary>
internal sealed partial class ServiceSecrets
{
    public const int MinimumLength = 8;
    public const string Replacement = "[redacted]";

    private readonly string[] _values;

    public ServiceSecrets(IConfiguration configuration)
        : this(configuration.AsEnumerable().Where(setting => setting.Value is not null).Select(setting => (setting.Key, setting.Value!)))
    {
    }

    public ServiceSecrets(IEnumerable<(string Key, string Value)> settings)
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in settings)
        {
            if (key.StartsWith("ConnectionStrings:", StringComparison.OrdinalIgnoreCase))
            {
                foreach (Match match in ConnectionStringPassword().Matches(value))
                {
                    values.Add(match.Groups[1].Value.Trim());
                }
            }

            if (SecretSettingName().IsMatch(key))
            {
                values.Add(value.Trim());
            }
        }

        // Escaped forms too (a password in a URL); longest first, so that a secret containing another is replaced whole.
        _values = [.. values.Where(v => v.Length >= MinimumLength)
            .SelectMany(v => new[] { v, Uri.EscapeDataString(v) }).Distinct(StringComparer.Ordinal)
            .OrderByDescending(v => v.Length)];
    }

    public int Count => _values.Length;

    /// <summary>Whether <paramref name="value"/> is (or contains) one of the secrets.</summary>
    public bool Contains(string value) => _values.Any(secret => value.Contains(secret, StringComparison.Ordinal));

    /// <summary>The text with every secret replaced by <see cref="Replacement"/>; <paramref name="redactions"/> counts the replacements.</summary>
    public string Redact(string text, out int redactions)
    {
        redactions = 0;
        foreach (var secret in _values)
        {
            var index = text.IndexOf(secret, StringComparison.Ordinal);
            if (index < 0)
            {
                continue;
            }

            var builder = new System.Text.StringBuilder(text.Length);
            var start = 0;
            for (; index >= 0; index = text.IndexOf(secret, start, StringComparison.Ordinal))
            {
                builder.Append(text, start, index - start).Append(Replacement);
                start = index + secret.Length;
                redactions++;
            }

            text = builder.Append(text, start, text.Length - start).ToString();
        }

        return text;
    }

    // password=… or pwd=… in ADO.NET (;) and StackExchange.Redis (,) connection strings.
    [GeneratedRegex(@"(?i)(?:^|[;,])\s*(?:password|pwd)\s*=\s*([^;,]+)")]
    private static partial Regex ConnectionStringPassword();

    [GeneratedRegex(@"(?i)(password|secret|apikey|api-key|api_key|token|credential)$")]
    private static partial Regex SecretSettingName();
}
