using System.Net.Http.Json;
using System.Text.Json;

namespace AgentC2.Tests.Fixtures;

/// <summary>An organization made for one test, with an API key.</summary>
internal sealed record TestOrganization(Guid Id, string Slug, Guid KeyId, string ApiKey);

internal static class Tenants
{
    public static async Task<TestOrganization> CreateOrganizationAsync(this AppHostFixture fixture, string? slug = null)
    {
        using var operatorClient = fixture.CreateApiClient(fixture.OperatorApiKey);
        return await CreateOrganizationAsync(operatorClient, slug);
    }

    /// <summary>A new organization and key through the operator API that <paramref name="operatorClient"/> (presenting the operator key) reaches.</summary>
    public static async Task<TestOrganization> CreateOrganizationAsync(HttpClient operatorClient, string? slug = null)
    {
        slug ??= "org-" + Guid.NewGuid().ToString("N")[..12];
        using var created = await operatorClient.PostAsJsonAsync("/api/operator/organizations", new { slug, name = $"Test {slug}" });
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var organization = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = organization.GetProperty("id").GetGuid();

        using var issued = await operatorClient.PostAsJsonAsync($"/api/operator/organizations/{id}/api-keys", new { name = "tests" });
        Assert.Equal(System.Net.HttpStatusCode.Created, issued.StatusCode);
        var key = await issued.Content.ReadFromJsonAsync<JsonElement>();
        return new TestOrganization(id, slug, key.GetProperty("id").GetGuid(), key.GetProperty("key").GetString()!);
    }

    /// <summary>An organization with a fixed slug (configured specially by the fixture), created on first use; a new key each call.</summary>
    public static async Task<TestOrganization> EnsureOrganizationAsync(this AppHostFixture fixture, string slug)
    {
        using var operatorClient = fixture.CreateApiClient(fixture.OperatorApiKey);
        var organizations = await operatorClient.GetFromJsonAsync<JsonElement>("/api/operator/organizations");
        var existing = organizations.EnumerateArray().FirstOrDefault(o => o.GetProperty("slug").GetString() == slug);
        if (existing.ValueKind == JsonValueKind.Undefined)
        {
            return await fixture.CreateOrganizationAsync(slug);
        }

        var id = existing.GetProperty("id").GetGuid();
        using var issued = await operatorClient.PostAsJsonAsync($"/api/operator/organizations/{id}/api-keys", new { name = "tests" });
        var key = await issued.Content.ReadFromJsonAsync<JsonElement>();
        return new TestOrganization(id, slug, key.GetProperty("id").GetGuid(), key.GetProperty("key").GetString()!);
    }

    /// <summary>The agent with this slug, created when missing.</summary>
    public static async Task EnsureAgentAsync(this HttpClient client, string slug)
    {
        using var found = await client.GetAsync($"/api/agents/{slug}");
        if (found.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            using var response = await client.PostAsJsonAsync("/api/agents", new { slug, name = $"Agent {slug}", tools = new[] { "think" } });
            Assert.True(response.StatusCode is System.Net.HttpStatusCode.Created or System.Net.HttpStatusCode.Conflict);
        }
    }

    public static async Task<JsonElement> CreateAgentAsync(this HttpClient client, string slug, int? maxSteps = null, string[]? tools = null, string? modelTier = null)
    {
        using var response = await client.PostAsJsonAsync("/api/agents", new { slug, name = $"Agent {slug}", instructions = "Be brief.", maxSteps, tools = tools ?? ["think"], modelTier });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Asserts an error response is problem+json with the given status and type, and returns its body.</summary>
    public static async Task<JsonElement> AssertProblemAsync(this HttpResponseMessage response, System.Net.HttpStatusCode status, string? type = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.StartsWith("urn:agentc2:problem:", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        if (type is not null)
        {
            Assert.Equal($"urn:agentc2:problem:{type}", problem.GetProperty("type").GetString());
        }

        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        return problem;
    }
}
