using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Agents;

[Collection(AppHostCollection.Name)]
public sealed class AgentsApiTests(AppHostFixture fixture)
{
    [Fact]
    public async Task Agents_round_trip_by_id_and_slug()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);

        var created = await client.CreateAgentAsync("researcher", maxSteps: 5);
        var id = created.GetProperty("id").GetGuid();
        Assert.Equal("auto", created.GetProperty("modelTier").GetString());

        var byId = await client.GetFromJsonAsync<JsonElement>($"/api/agents/{id}");
        var bySlug = await client.GetFromJsonAsync<JsonElement>("/api/agents/researcher");
        Assert.Equal(id, byId.GetProperty("id").GetGuid());
        Assert.Equal(id, bySlug.GetProperty("id").GetGuid());

        using var replaced = await client.PutAsJsonAsync("/api/agents/researcher",
            new { slug = "analyst", name = "Analyst", instructions = "Analyse.", modelTier = "reasoning", maxSteps = 7, tools = Array.Empty<string>() });
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        var updated = await client.GetFromJsonAsync<JsonElement>($"/api/agents/{id}");
        Assert.Equal("analyst", updated.GetProperty("slug").GetString());
        Assert.Equal("reasoning", updated.GetProperty("modelTier").GetString());
        Assert.Equal(7, updated.GetProperty("maxSteps").GetInt32());

        var list = await client.GetFromJsonAsync<JsonElement>("/api/agents");
        Assert.Equal([id], list.EnumerateArray().Select(a => a.GetProperty("id").GetGuid()));

        using var duplicate = await client.PostAsJsonAsync("/api/agents", new { slug = "analyst", name = "Again" });
        await duplicate.AssertProblemAsync(HttpStatusCode.Conflict, "conflict");

        using var deleted = await client.DeleteAsync("/api/agents/analyst");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await client.GetAsync($"/api/agents/{id}");
        await gone.AssertProblemAsync(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Another_organizations_agents_and_runs_are_404_on_every_route()
    {
        var owner = await fixture.CreateOrganizationAsync();
        var stranger = await fixture.CreateOrganizationAsync();
        using var ownerClient = fixture.CreateApiClient(owner.ApiKey);
        using var strangerClient = fixture.CreateApiClient(stranger.ApiKey);
        var agent = await ownerClient.CreateAgentAsync("private-agent");
        var agentId = agent.GetProperty("id").GetGuid();
        using var invoked = await ownerClient.PostAsJsonAsync("/api/agents/private-agent/invoke", new { input = "hello" });
        var runId = (await invoked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        foreach (var target in new[] { agentId.ToString(), "private-agent" })
        {
            using var get = await strangerClient.GetAsync($"/api/agents/{target}");
            await get.AssertProblemAsync(HttpStatusCode.NotFound);
            using var put = await strangerClient.PutAsJsonAsync($"/api/agents/{target}", new { slug = "taken-over", name = "x" });
            await put.AssertProblemAsync(HttpStatusCode.NotFound);
            using var invoke = await strangerClient.PostAsJsonAsync($"/api/agents/{target}/invoke", new { input = "hello" });
            await invoke.AssertProblemAsync(HttpStatusCode.NotFound);
            using var delete = await strangerClient.DeleteAsync($"/api/agents/{target}");
            await delete.AssertProblemAsync(HttpStatusCode.NotFound);
        }

        using var run = await strangerClient.GetAsync($"/api/runs/{runId}");
        await run.AssertProblemAsync(HttpStatusCode.NotFound);
        using var runsOfAgent = await strangerClient.GetAsync($"/api/runs?agent={agentId}");
        await runsOfAgent.AssertProblemAsync(HttpStatusCode.NotFound);
        var strangerRuns = await strangerClient.GetFromJsonAsync<JsonElement>("/api/runs");
        Assert.Empty(strangerRuns.GetProperty("items").EnumerateArray());

        // The owner still sees everything intact.
        Assert.Equal(HttpStatusCode.OK, (await ownerClient.GetAsync($"/api/agents/{agentId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ownerClient.GetAsync($"/api/runs/{runId}")).StatusCode);
    }

    [Fact]
    public async Task Missing_unknown_and_revoked_keys_are_401()
    {
        var organization = await fixture.CreateOrganizationAsync();
        using var client = fixture.CreateApiClient(organization.ApiKey);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/agents")).StatusCode);

        using var operatorClient = fixture.CreateApiClient(fixture.OperatorApiKey);
        using var revoked = await operatorClient.DeleteAsync($"/api/operator/organizations/{organization.Id}/api-keys/{organization.KeyId}");
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);

        using var afterRevocation = await client.GetAsync("/api/agents");
        await afterRevocation.AssertProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("Bearer", afterRevocation.Headers.WwwAuthenticate.Single().Scheme);

        using var anonymous = fixture.CreateClient(AgentC2.ResourceNames.Agent);
        await (await anonymous.GetAsync("/api/agents")).AssertProblemAsync(HttpStatusCode.Unauthorized);
        using var unknown = fixture.CreateApiClient("ac2_" + new string('x', 40));
        await (await unknown.GetAsync("/api/agents")).AssertProblemAsync(HttpStatusCode.Unauthorized);

        // An organization key is not an operator key.
        using var notOperator = fixture.CreateApiClient(fixture.DemoApiKey);
        await (await notOperator.GetAsync("/api/operator/organizations")).AssertProblemAsync(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task The_demo_organization_is_seeded_with_an_agent()
    {
        using var client = fixture.CreateApiClient(fixture.DemoApiKey);

        var agent = await client.GetFromJsonAsync<JsonElement>("/api/agents/assistant");

        Assert.Equal("assistant", agent.GetProperty("slug").GetString());
    }

    [Fact]
    public async Task OpenApi_document_and_reference_page_are_served_without_a_key()
    {
        using var client = fixture.CreateClient(AgentC2.ResourceNames.Agent);

        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        using var page = await client.GetAsync("/api/docs");

        Assert.True(document.GetProperty("paths").TryGetProperty("/api/agents/{idOrSlug}/invoke", out _));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);

        // The reference can send the key: a Bearer scheme required by the document, and an introduction saying how.
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("apiKey");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        Assert.True(document.GetProperty("security")[0].TryGetProperty("apiKey", out _));
        Assert.Contains("Authorization: Bearer", document.GetProperty("info").GetProperty("description").GetString(), StringComparison.Ordinal);
        // Only what works here: no hosted AI chat, no developer toolbar (SDK generation, deploy).
        var html = await page.Content.ReadAsStringAsync();
        foreach (var setting in new[]
                 {
                     "\"preferredSecurityScheme\":[\"apiKey\"]", "\"agent\":{\"disabled\":true}", "\"mcp\":{\"disabled\":true}",
                     "\"showDeveloperTools\":\"never\"", "\"hideClientButton\":true",
                 })
        {
            Assert.Contains(setting, html, StringComparison.Ordinal);
        }
    }
}
