using System.Net;
using System.Text.Json;

namespace AgentC2.Tests.Fixtures;

/// <summary>A health endpoint's answer: status code and the parsed JSON body.</summary>
internal sealed record ProbeResult(HttpStatusCode Status, JsonElement Body)
{
    public string OverallStatus => Body.GetProperty("status").GetString()!;

    public string CheckStatus(string check) => Body.GetProperty("checks").GetProperty(check).GetProperty("status").GetString()!;

    public IReadOnlyList<string> CheckNames => [.. Body.GetProperty("checks").EnumerateObject().Select(p => p.Name)];

    public override string ToString() => $"{(int)Status} {Body}";

    public static async Task<ProbeResult> GetAsync(HttpClient client, string path, CancellationToken cancellationToken = default)
    {
        using var response = await client.GetAsync(path, cancellationToken);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        using var document = JsonDocument.Parse(body);
        return new ProbeResult(response.StatusCode, document.RootElement.Clone());
    }
}
