using System.Net;
using System.Text.RegularExpressions;
using AgentC2.Tests.Fixtures;
using Microsoft.Playwright;

namespace AgentC2.Tests.Console;

/// <summary>The operator console in a real browser, against the whole application (two console replicas).</summary>
[Collection(AppHostCollection.Name)]
public sealed partial class ConsoleTests(AppHostFixture fixture, Browser browser) : IClassFixture<Browser>, IAsyncLifetime
{
    /// <summary>An organization the console tests run out of requests (its own window, so other tests are not affected).</summary>
    public const string LimitedOrganization = "console-limited";

    private Uri Console => fixture.CreateClient(ResourceNames.Frontend).BaseAddress!;

    /// <summary>Both console replicas answer before a test starts (the shared address may send a browser to either).</summary>
    public Task InitializeAsync() => fixture.Replicas.WaitReadyAsync(ResourceNames.Frontend, TimeSpan.FromSeconds(60));

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_bad_key_gets_a_message_and_is_not_echoed_and_the_demo_key_signs_in()
    {
        var page = await browser.NewPageAsync(Console);

        await page.GotoAsync("/agents");
        Assert.EndsWith("/sign-in?ReturnUrl=%2Fagents", page.Url, StringComparison.Ordinal);
        await Browser.ScreenshotAsync(page, "sign-in");

        const string badKey = "ac2_this-key-does-not-exist-0123456789";
        await page.FillAsync("#ApiKey", badKey);
        var refused = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("button:has-text('Sign in')"), r => r.Request.Method == "POST");
        Assert.Equal(401, refused.Status);
        await Assertions.Expect(page.GetByText("That key was not accepted")).ToBeVisibleAsync();
        Assert.DoesNotContain(badKey, await page.ContentAsync(), StringComparison.Ordinal);
        Assert.Equal("", await page.InputValueAsync("#ApiKey"));

        await Browser.SignInAsync(page, fixture.DemoApiKey);
        Assert.EndsWith("/agents", page.Url, StringComparison.Ordinal);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Agents", Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "assistant", Exact = false }).First).ToBeVisibleAsync();
        Assert.DoesNotContain(fixture.DemoApiKey, await page.ContentAsync(), StringComparison.Ordinal);
        await Browser.ScreenshotAsync(page, "agents");
    }

    [Fact]
    public async Task Create_an_agent_run_it_async_watch_it_complete_live_then_open_it_and_sign_out()
    {
        var page = await browser.NewPageAsync(Console);
        await Browser.SignInAsync(page, fixture.DemoApiKey);
        var slug = "console-" + Guid.NewGuid().ToString("N")[..8];

        await page.GotoAsync("/agents/new");
        await page.GetByLabel("Name").FillAsync("Console test agent");
        await page.GetByLabel("Slug").FillAsync(slug);
        await page.GetByLabel("Instructions").FillAsync("Plan carefully, one step at a time.");
        await page.GetByLabel("Model tier").SelectOptionAsync("fast");
        await page.GetByLabel("Max steps").FillAsync("12");
        await Browser.ScreenshotAsync(page, "agent-new");
        await page.ClickAsync("button:has-text('Create agent')");

        await page.WaitForURLAsync($"**/agents/{slug}");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Console test agent" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("ul.tools")).ToContainTextAsync("think");

        // Edited: the slug stays, the rest changes; a field the API refuses is marked on the form.
        await page.ClickAsync("a:has-text('Edit')");
        await page.GetByLabel("Name").FillAsync("Console planner");
        await page.GetByLabel("MCP servers").FillAsync("no-such-server");
        await page.ClickAsync("button:has-text('Save')");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".field-validation-error, .error-text:not(:empty)").First).ToBeVisibleAsync();
        await page.GetByLabel("MCP servers").FillAsync("");
        await page.ClickAsync("button:has-text('Save')");
        await page.WaitForURLAsync($"**/agents/{slug}");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Console planner" })).ToBeVisibleAsync();

        await page.GetByLabel("Input").FillAsync("Draft a launch plan #steps=5 #latency=400");
        await page.GetByLabel("Queue and watch live").CheckAsync();
        await Browser.ScreenshotAsync(page, "agent-details");
        await page.ClickAsync("button:has-text('Run')");

        await page.WaitForURLAsync(RunUrl());
        // Marks this page load: if the steps arrive without a reload, the marker is still there at the end.
        await page.EvaluateAsync("() => window.__sameLoad = true");
        var stepsAtLoad = await page.Locator("#steps li").CountAsync();
        Assert.True(stepsAtLoad < 5, $"the run had already finished when its page loaded ({stepsAtLoad} steps)");

        await Assertions.Expect(page.Locator("#steps li")).ToHaveCountAsync(5, new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#run-status .badge")).ToHaveTextAsync("succeeded", new() { Timeout = 15_000 });
        Assert.True(await page.EvaluateAsync<bool>("() => window.__sameLoad === true"), "the page was reloaded");
        await Assertions.Expect(page.Locator("#run-output")).ToContainTextAsync("completed");
        Assert.NotEqual("0", (await page.Locator("#run-usage").TextContentAsync())!.Split(' ')[0]);
        await Browser.ScreenshotAsync(page, "run-live");

        // The run's page opened afresh shows the same run from the server.
        var runUrl = page.Url;
        await page.GotoAsync("/runs?status=succeeded&agent=" + slug);
        await Browser.ScreenshotAsync(page, "runs");
        await page.Locator("table tbody tr a").First.ClickAsync();
        Assert.Equal(runUrl, page.Url);
        await Assertions.Expect(page.Locator("#steps li")).ToHaveCountAsync(5);
        await Assertions.Expect(page.Locator("#run-status .badge")).ToHaveTextAsync("succeeded");
        await Assertions.Expect(page.Locator("#steps li").First).ToContainTextAsync("tool call");

        await page.ClickAsync("button:has-text('Sign out')");
        await page.WaitForURLAsync("**/sign-in");
        await page.GotoAsync("/runs");
        Assert.Contains("/sign-in?ReturnUrl=%2Fruns", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mcp_page_shows_the_servers_and_the_tools_agents_get_from_them()
    {
        var page = await browser.NewPageAsync(Console);
        await Browser.SignInAsync(page, fixture.DemoApiKey);

        await page.GotoAsync("/mcp");

        await Assertions.Expect(page.Locator("table")).ToContainTextAsync("samples");
        var sampler = page.Locator("section", new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "Tools of sampler" }) });
        await Assertions.Expect(sampler.Locator("ul.tools")).ToContainTextAsync("echo", new() { Timeout = 30_000 });
        await Assertions.Expect(sampler.Locator("ul.tools")).ToContainTextAsync("add");
        await Browser.ScreenshotAsync(page, "mcp");
    }

    [Fact]
    public async Task A_run_page_shows_a_tool_call_with_its_arguments_and_the_image_the_tool_returned()
    {
        using var session = await Mcp.ForeignMcpSession.StartAsync(fixture, "everything", new { name = "everything", catalog = ForeignMcpServers.Everything });
        var run = await session.InvokeAsync(0, "get-tiny-image");
        var sum = await session.InvokeAsync(0, "get-sum");
        var page = await browser.NewPageAsync(Console);
        await Browser.SignInAsync(page, session.Organization.ApiKey);

        await page.GotoAsync($"/runs/{run.GetProperty("id").GetGuid()}");

        var image = page.Locator(".tool-content[data-type=image] img");
        await Assertions.Expect(image).ToBeVisibleAsync();
        Assert.True(await image.EvaluateAsync<bool>("img => img.complete && img.naturalWidth > 0"), "the image was not decoded");
        await Assertions.Expect(page.Locator(".tool-content[data-type=image] figcaption")).ToContainTextAsync("image image/png");
        await Browser.ScreenshotAsync(page, "run-tool-image");

        await page.GotoAsync($"/runs/{sum.GetProperty("id").GetGuid()}");
        await Assertions.Expect(page.Locator(".tool-call .tool-arguments")).ToContainTextAsync("\"a\":1");
    }

    [Fact]
    public async Task System_page_shows_the_health_of_every_service()
    {
        var page = await browser.NewPageAsync(Console);
        await Browser.SignInAsync(page, fixture.DemoApiKey);

        await page.GotoAsync("/system");

        foreach (var service in AppHostFixture.ServiceNames)
        {
            var section = page.Locator($"section[aria-labelledby='health-{service}']");
            await Assertions.Expect(section.Locator("h2 .badge")).ToHaveTextAsync("Healthy");
            await Assertions.Expect(section.Locator("table")).ToContainTextAsync("redis");
        }

        await Browser.ScreenshotAsync(page, "system");
        // The fleet is the operator's: an organization's user does not see it.
        await Assertions.Expect(page.Locator("#instances-table")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task The_operator_sees_every_running_instance_on_the_system_page()
    {
        var page = await browser.NewPageAsync(Console);
        await Browser.SignInAsync(page, fixture.OperatorApiKey);

        // Other tests restart replicas: a restarted one is listed again at its first heartbeat (5 s).
        var expected = AppHostFixture.ServiceNames.Sum(fixture.Replicas.Count);
        var rows = page.Locator("#instances-table tbody tr[data-state='ready']");
        await Eventually.MatchAsync(async _ =>
        {
            await page.GotoAsync("/system");
            return await rows.CountAsync();
        }, count => count == expected, TimeSpan.FromSeconds(30), "every replica listed ready");
        foreach (var service in AppHostFixture.ServiceNames)
        {
            Assert.True(await page.Locator($"#instances-table tbody tr[data-service='{service}'][data-state='ready']").CountAsync() >= fixture.Replicas.Count(service));
        }
        await Browser.ScreenshotAsync(page, "system-instances");
    }

    [Fact]
    public async Task The_operator_creates_an_organization_and_issues_a_key_shown_once_that_then_signs_in()
    {
        var page = await browser.NewPageAsync(Console);
        await Browser.SignInAsync(page, fixture.OperatorApiKey);
        Assert.EndsWith("/operator", page.Url, StringComparison.Ordinal);
        var slug = "console-org-" + Guid.NewGuid().ToString("N")[..8];

        await page.GetByLabel("Name").FillAsync("Console Org");
        await page.GetByLabel("Slug").FillAsync(slug);
        await page.ClickAsync("button:has-text('Create')");
        await page.WaitForURLAsync("**/operator/organizations/*");
        await page.GetByLabel("Key name").FillAsync("console");
        await page.ClickAsync("button:has-text('Issue key')");

        var key = (await page.Locator("#issued-key").TextContentAsync())!;
        Assert.StartsWith("ac2_", key, StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("table")).ToContainTextAsync("console");
        await page.ReloadAsync();
        Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);
        await Browser.ScreenshotAsync(page, "operator-organization");

        await page.GotoAsync("/operator");
        await Assertions.Expect(page.Locator("ul.list")).ToContainTextAsync(slug);
        await Browser.ScreenshotAsync(page, "operator-organizations");
        await page.GotoAsync("/operator/pool");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "MCP connection pool" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("dl.stats")).ToContainTextAsync("of 20");
        await Browser.ScreenshotAsync(page, "operator-pool");
        await page.GotoAsync("/agents");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "This page is not available with your key" })).ToBeVisibleAsync();

        await page.ClickAsync("button:has-text('Sign out')");
        await Browser.SignInAsync(page, key);
        Assert.EndsWith("/agents", page.Url, StringComparison.Ordinal);
        await Assertions.Expect(page.GetByText("No agents yet")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_cookie_and_an_antiforgery_token_issued_by_one_replica_are_accepted_by_the_other()
    {
        var replicas = await fixture.Replicas.AddressesAsync(ResourceNames.Frontend);
        Assert.Equal(2, replicas.Count);
        var cookies = new CookieContainer();
        using var handler = new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false };
        using var http = new HttpClient(handler);

        // Signed in on the first replica…
        var signIn = await http.GetStringAsync(new Uri(replicas[0], "/sign-in"));
        using var signedIn = await http.PostAsync(new Uri(replicas[0], "/sign-in"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["ApiKey"] = fixture.DemoApiKey,
            ["__RequestVerificationToken"] = ConsoleForms.Token(signIn),
        }));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        CopyCookies(cookies, replicas[0], replicas[1]);

        // …the second replica knows the user, and accepts a form the first one rendered.
        using var agents = await http.GetAsync(new Uri(replicas[1], "/agents"));
        Assert.Equal(HttpStatusCode.OK, agents.StatusCode);
        var form = await http.GetStringAsync(new Uri(replicas[0], "/agents/new"));
        var slug = "replica-" + Guid.NewGuid().ToString("N")[..8];
        using var created = await http.PostAsync(new Uri(replicas[1], "/agents/new"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Agent.Name"] = "Made across replicas",
            ["Agent.Slug"] = slug,
            ["Agent.Instructions"] = "Help.",
            ["Agent.ModelTier"] = "auto",
            ["Agent.MaxSteps"] = "5",
            ["__RequestVerificationToken"] = ConsoleForms.Token(form),
        }));
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        Assert.Equal($"/agents/{slug}", created.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Pages_carry_security_headers_and_errors_are_friendly_pages()
    {
        var page = await browser.NewPageAsync(Console);

        var signIn = await page.GotoAsync("/sign-in");
        var headers = await signIn!.AllHeadersAsync();
        Assert.Contains("frame-ancestors 'none'", headers["content-security-policy"], StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", headers["content-security-policy"], StringComparison.Ordinal);
        Assert.Equal("nosniff", headers["x-content-type-options"]);
        Assert.Equal("DENY", headers["x-frame-options"]);

        var missing = await page.GotoAsync("/no/such/page");
        Assert.Equal(404, missing!.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Page not found" })).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(page, "not-found");

        // A form posted without its antiforgery token is refused with a page, not a stack trace.
        using var http = fixture.CreateClient(ResourceNames.Frontend);
        using var forged = await http.PostAsync("/sign-in", new FormUrlEncodedContent(new Dictionary<string, string> { ["ApiKey"] = fixture.DemoApiKey }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        var body = await forged.Content.ReadAsStringAsync();
        Assert.Contains("That request was not understood", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rate_limited_organization_is_told_when_to_try_again()
    {
        var organization = await fixture.EnsureOrganizationAsync(LimitedOrganization);
        var page = await browser.NewPageAsync(Console);
        await Browser.SignInAsync(page, organization.ApiKey);

        IResponse? response = null;
        for (var attempt = 0; attempt < 10 && response?.Status != 429; attempt++)
        {
            response = await page.GotoAsync("/agents");
        }

        Assert.Equal(429, response!.Status);
        Assert.NotNull(await response.HeaderValueAsync("retry-after"));
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("too many requests");
        await Browser.ScreenshotAsync(page, "rate-limited");
    }

    [Fact]
    public async Task With_the_agent_api_down_pages_say_so_and_recover_when_it_is_back()
    {
        var page = await browser.NewPageAsync(Console);
        await Browser.SignInAsync(page, fixture.DemoApiKey);

        // Each replica stopped and started by its own id, so that both come back.
        var replicas = await fixture.Replicas.IdsAsync(ResourceNames.Agent);
        await Task.WhenAll(replicas.Select(fixture.Replicas.StopAsync));

        try
        {
            var down = await page.GotoAsync("/agents", new() { Timeout = 30_000 });
            Assert.Equal(503, down!.Status);
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The agent API is not reachable right now");
            await Browser.ScreenshotAsync(page, "agent-api-down");
        }
        finally
        {
            // Both started before waiting: the resource as a whole reports "failed" while one replica is still stopped.
            foreach (var replica in replicas)
            {
                await fixture.Replicas.ExecuteAsync(replica, KnownResourceCommands.StartCommand);
            }

            await fixture.Replicas.WaitReadyAsync(ResourceNames.Agent, AppHostFixture.StartTimeout);
        }

        var back = await page.GotoAsync("/agents");
        Assert.Equal(200, back!.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Agents", Level = 1 })).ToBeVisibleAsync();
    }

    private static Regex RunUrl() => RunPage();

    /// <summary>Cookies are per host name, not per port (as browsers keep them): the replicas share them.</summary>
    private static void CopyCookies(CookieContainer cookies, Uri from, Uri to)
    {
        foreach (System.Net.Cookie cookie in cookies.GetCookies(from))
        {
            cookies.Add(to, new System.Net.Cookie(cookie.Name, cookie.Value, "/"));
        }
    }

    [GeneratedRegex(@"/runs/[0-9a-f-]{36}$")]
    private static partial Regex RunPage();
}
