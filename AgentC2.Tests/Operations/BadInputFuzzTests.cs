using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AgentC2.Tests.Fixtures;
using Xunit.Abstractions;

namespace AgentC2.Tests.Operations;

/// <summary>
/// Walks the OpenAPI document and sends malformed requests to every public route: wrong types, missing and extra
/// fields, huge and deeply nested JSON, invalid UTF-8, wrong content types, bad ids, another organization's ids,
/// missing and garbage credentials. No answer may be a 5xx, every error must be problem+json, and nothing of the
/// other organization may appear in any answer.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class BadInputFuzzTests(AppHostFixture fixture, ITestOutputHelper output)
{
    private const int Parallelism = 8;

    [Fact]
    public async Task Thousands_of_malformed_requests_get_no_5xx_only_problem_json_and_no_other_organizations_data()
    {
        var victim = await fixture.CreateOrganizationAsync();
        var marker = "victim-" + Guid.NewGuid().ToString("N");
        using var victimClient = fixture.CreateApiClient(victim.ApiKey);
        using var victimAgent = await victimClient.PostAsJsonAsync("/api/agents", new { slug = "secret-agent", name = marker, instructions = marker, tools = new[] { "think" } });
        var victimAgentId = (await victimAgent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        using var victimRun = await victimClient.PostAsJsonAsync("/api/agents/secret-agent/invoke", new { input = marker + " #steps=1" });
        var victimRunId = (await victimRun.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        var attacker = await fixture.EnsureOrganizationAsync(DrillLoad.Organization);
        using var anonymous = fixture.CreateClient(ResourceNames.Agent);
        var document = await anonymous.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        string[] ids = [victimAgentId, victimRunId, victim.Id.ToString(), victim.KeyId.ToString(), "secret-agent", "not-a-guid", Guid.NewGuid().ToString(),
            "..%2F..%2Fetc%2Fpasswd", "%00", "' OR 1=1 --", new string('x', 3000), "%F0%28%8C%BC"];
        var cases = new List<FuzzCase>();
        foreach (var (template, methods) in document.GetProperty("paths").EnumerateObject().Select(p => (p.Name, p.Value)))
        {
            foreach (var operation in methods.EnumerateObject())
            {
                var method = new HttpMethod(operation.Name.ToUpperInvariant());
                var paths = template.Contains('{') ? ids.Select(id => Fill(template, id)).ToList() : [template];
                var properties = RequestProperties(document, operation.Value);
                var takesBody = operation.Value.TryGetProperty("requestBody", out _);
                foreach (var path in paths)
                {
                    foreach (var auth in Credentials(attacker.ApiKey, fixture.OperatorApiKey))
                    {
                        cases.Add(new FuzzCase(method, path, auth, null, null));
                    }

                    if (method == HttpMethod.Get || method == HttpMethod.Delete)
                    {
                        cases.Add(new FuzzCase(method, path + "?limit=-1&status=%FF&cursor=!!!&agent=" + new string('z', 500), attacker.ApiKey, null, null));
                        continue;
                    }

                    // A huge body goes only where the API reads one: elsewhere the server answers without reading it and
                    // closes the connection, and the client never sees that answer.
                    foreach (var (body, contentType) in Bodies(properties).Where(b => takesBody || b.Body.Length < 1_000_000))
                    {
                        cases.Add(new FuzzCase(method, path, attacker.ApiKey, body, contentType));
                    }
                }
            }
        }

        var failures = new ConcurrentQueue<string>();
        var transportRejections = 0;
        var statuses = new ConcurrentDictionary<int, int>();
        using var http = new HttpClient { BaseAddress = anonymous.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (fuzz, token) =>
        {
            // A connection the server had just closed (after refusing an oversized body) fails the exchange: once more, afresh.
            (HttpStatusCode Status, string? ContentType, string Text) answer;
            try
            {
                answer = await ExchangeAsync(http, fuzz, token);
            }
            catch (Exception first) when (first is HttpRequestException or IOException)
            {
                try
                {
                    answer = await ExchangeAsync(http, fuzz, token);
                }
                catch (Exception e) when (e is HttpRequestException or IOException)
                {
                    failures.Enqueue($"{fuzz.Method} {Shorten(fuzz.Path)}: {e.Message}");
                    return;
                }
            }

            var (status, contentType, text) = answer;
            statuses.AddOrUpdate((int)status, 1, (_, n) => n + 1);
            var what = $"{fuzz.Method} {Shorten(fuzz.Path)} ({fuzz.ContentType ?? "no body"}, {(fuzz.Body?.Length ?? 0)} bytes) → {(int)status}";
            if ((int)status >= 500)
            {
                failures.Enqueue($"{what}: {Shorten(text)}");
            }
            else if (status == HttpStatusCode.BadRequest && fuzz.Path.Contains("%00", StringComparison.Ordinal) && text.Length == 0)
            {
                // A NUL in the request target: Kestrel refuses the request line itself, before any application code runs.
                Interlocked.Increment(ref transportRejections);
            }
            else if ((int)status >= 400 && contentType != "application/problem+json")
            {
                failures.Enqueue($"{what}: not problem+json ({contentType})");
            }

            if (text.Contains(marker, StringComparison.Ordinal))
            {
                failures.Enqueue($"{what}: the other organization's data in the answer");
            }
        });

        var report = $"bad-input fuzzing: {cases.Count} requests over {document.GetProperty("paths").EnumerateObject().Count()} routes; "
            + $"statuses {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}; "
            + $"5xx: {statuses.Where(s => s.Key >= 500).Sum(s => s.Value)}; refused by the web server before the application (NUL in the path): {transportRejections}; "
            + $"failures: {failures.Count}";
        output.WriteLine(report);
        Directory.CreateDirectory(Path.Combine(Repository.Root, "artifacts"));
        await File.WriteAllTextAsync(Path.Combine(Repository.Root, "artifacts", "bad-input-fuzz.txt"), report + "\n" + string.Join('\n', failures) + "\n");

        Assert.True(cases.Count >= 2000, report);
        Assert.True(failures.IsEmpty, report + "\n" + string.Join('\n', failures.Take(25)));
    }

    private static async Task<(HttpStatusCode Status, string? ContentType, string Text)> ExchangeAsync(HttpClient http, FuzzCase fuzz, CancellationToken cancellationToken)
    {
        using var request = Request(fuzz);
        using var response = await http.SendAsync(request, cancellationToken);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    private static HttpRequestMessage Request(FuzzCase fuzz)
    {
        var request = new HttpRequestMessage(fuzz.Method, fuzz.Path);
        if (fuzz.Authorization is { } auth)
        {
            request.Headers.TryAddWithoutValidation("Authorization", auth.StartsWith("ac2_", StringComparison.Ordinal) || auth.StartsWith("operator-", StringComparison.Ordinal) ? $"Bearer {auth}" : auth);
        }

        if (fuzz.Body is { } body)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(fuzz.ContentType!);

            // A server refuses an oversized body before reading it (413) and closes the connection; with
            // 100-continue the client hears that answer instead of failing to send the rest.
            request.Headers.ExpectContinue = body.Length > 64 * 1024;
        }

        return request;
    }

    private sealed record FuzzCase(HttpMethod Method, string Path, string? Authorization, byte[]? Body, string? ContentType);

    private static string Fill(string template, string id) =>
        System.Text.RegularExpressions.Regex.Replace(template, @"\{[^}]+\}", id.Contains('%', StringComparison.Ordinal) ? id : Uri.EscapeDataString(id));

    private static IEnumerable<string?> Credentials(string organizationKey, string operatorKey) =>
        [organizationKey, null, "Bearer nope", "Bearer ac2_" + new string('A', 40), "Basic dXNlcjpwYXNz", "Bearer " + new string('k', 5000), operatorKey];

    /// <summary>The names of the request body's properties, from the operation's schema (followed through $ref).</summary>
    private static List<string> RequestProperties(JsonElement document, JsonElement operation)
    {
        if (!operation.TryGetProperty("requestBody", out var body)
            || !body.GetProperty("content").EnumerateObject().FirstOrDefault().Value.TryGetProperty("schema", out var schema))
        {
            return [];
        }

        if (schema.TryGetProperty("$ref", out var reference))
        {
            schema = document.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1]);
        }

        return schema.TryGetProperty("properties", out var properties) ? [.. properties.EnumerateObject().Select(p => p.Name)] : [];
    }

    private static IEnumerable<(byte[] Body, string ContentType)> Bodies(List<string> properties)
    {
        const string json = "application/json";
        static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

        yield return (Utf8("{}"), json);
        yield return (Utf8("[]"), json);
        yield return (Utf8("null"), json);
        yield return (Utf8("\"just a string\""), json);
        yield return (Utf8("{\"input\": \"x\""), json);
        yield return (Utf8("{\"input\": \"x\", \"unexpected\": {\"a\": [1, 2, {\"b\": null}]}}"), json);
        yield return (Utf8(new string('[', 5000) + new string(']', 5000)), json);
        yield return (Utf8("{\"input\": \"" + new string('x', 2_000_000) + "\"}"), json);
        yield return ([0x7B, 0x22, 0x69, 0x6E, 0x70, 0x75, 0x74, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0xFF, 0x22, 0x7D], json);
        yield return (Utf8("{\"input\": \"hello\"}"), "text/plain");
        yield return (Utf8("<input>hello</input>"), "application/xml");
        yield return (Utf8("input=hello"), "application/x-www-form-urlencoded");
        yield return ([], json);
        foreach (var property in properties)
        {
            foreach (var value in new[] { "123", "-1", "1e400", "true", "[]", "{}", "null", "\"\"", "\"" + new string('y', 100_000) + "\"", "[\"a\", 1, null]", "\"\\u0000\"" })
            {
                yield return (Utf8($"{{\"{property}\": {value}}}"), json);
            }
        }
    }

    private static string Shorten(string text) => text.Length <= 160 ? text : text[..160] + "…";
}
