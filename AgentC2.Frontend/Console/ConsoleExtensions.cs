using AgentC2.Frontend.Runs;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using StackExchange.Redis;

namespace AgentC2.Frontend.Console;

/// <summary>The operator console: Razor Pages, cookie sign-in with an API key, a key ring shared by every replica.</summary>
internal static class ConsoleExtensions
{
    public const string AuthenticationScheme = CookieAuthenticationDefaults.AuthenticationScheme;
    public const string OrganizationPolicy = ConsoleUser.OrganizationRole;
    public const string OperatorPolicy = ConsoleUser.OperatorRole;
    public const string SignedInPolicy = "signed-in";

    /// <summary>Where the data-protection key ring lives in Redis: cookies and antiforgery tokens from any replica are valid on all.</summary>
    public const string KeyRingRedisKey = "agentc2:frontend:data-protection-keys";

    public static void AddConsole(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorPages(options =>
        {
            options.Conventions.AuthorizeFolder("/Agents", OrganizationPolicy);
            options.Conventions.AuthorizeFolder("/Runs", OrganizationPolicy);
            options.Conventions.AuthorizeFolder("/Mcp", OrganizationPolicy);
            options.Conventions.AuthorizeFolder("/Operator", OperatorPolicy);
            options.Conventions.AuthorizePage("/System", SignedInPolicy);
        });

        builder.Services.AddAuthentication(AuthenticationScheme).AddCookie(options =>
        {
            options.Cookie.Name = "agentc2.console";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Lax;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.ExpireTimeSpan = TimeSpan.FromHours(8);
            options.SlidingExpiration = true;
            options.LoginPath = "/sign-in";
            options.AccessDeniedPath = "/denied";
        });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(OrganizationPolicy, policy => policy.RequireRole(ConsoleUser.OrganizationRole))
            .AddPolicy(OperatorPolicy, policy => policy.RequireRole(ConsoleUser.OperatorRole))
            .AddPolicy(SignedInPolicy, policy => policy.RequireAuthenticatedUser());

        builder.Services.AddAntiforgery(options => options.Cookie.Name = "agentc2.antiforgery");

        builder.Services.AddDataProtection().SetApplicationName("AgentC2.Console");
        builder.Services.AddOptions<KeyManagementOptions>().Configure<IServiceProvider>((options, services) =>
        {
            // Without Redis (a lone development instance) the default per-machine key ring is used.
            if (services.GetService<IConnectionMultiplexer>() is { } redis)
            {
                options.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), KeyRingRedisKey);
            }
        });

        builder.Services.AddHttpClient(ServiceHealth.ClientName);
        builder.Services.AddSingleton<RunEventsProxy>();
    }

    public static void UseConsole(this WebApplication app)
    {
        app.UseMiddleware<SecurityHeaders>();
        app.UseExceptionHandler("/error");
        app.UseStatusCodePagesWithReExecute("/error/{0}");
        app.UseStaticFiles();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
    }

    public static void MapConsole(this WebApplication app)
    {
        app.MapRazorPages();
        app.MapRunEvents();
        // Browsers ask for /favicon.ico whatever the page names: the console's icon is an SVG.
        app.MapGet("/favicon.ico", () => Results.Redirect("/favicon.svg", permanent: true)).AllowAnonymous();
    }
}
