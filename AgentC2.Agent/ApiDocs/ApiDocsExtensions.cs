using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace AgentC2.Agent.ApiDocs;

/// <summary>
/// The OpenAPI document (<c>/openapi/v1.json</c>) and its reference page (<c>/api/docs</c>): the document says how to
/// authenticate (an API key as a Bearer token) and what every answer shares, so the reference can send requests with
/// the key; the page shows only what works here (no hosted AI chat, SDK generation or deploy buttons).
/// </summary>
internal static class ApiDocsExtensions
{
    public const string SecurityScheme = "apiKey";

    private const string Introduction = """
        The AgentC2 API runs AI agents for organizations: define agents, invoke them synchronously or on the durable
        queue, follow their runs live (server-sent events), cancel them, and receive signed webhooks when they end.

        **Authentication**: every `/api` route takes an API key as a Bearer token (`Authorization: Bearer <key>`):
        an organization's key sees that organization only; the operator key manages organizations. Choose
        *Authentication* here and paste a key to send requests from this page.

        **Errors** are `application/problem+json` with a stable `type` (`urn:agentc2:problem:…`); `429` and `503`
        carry `Retry-After`. An invocation retried with the same `Idempotency-Key` runs once.
        """;

    public static IServiceCollection AddApiDocs(this IServiceCollection services) =>
        services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "AgentC2 API";
            document.Info.Description = Introduction;
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SecurityScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "AgentC2 API key",
                Description = "An organization's API key, or the operator key for the operator routes.",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SecurityScheme, document)] = [] }];
            return Task.CompletedTask;
        }));

    public static void MapApiDocs(this WebApplication app)
    {
        app.MapOpenApi().DisableRateLimiting().AllowAnonymous();
        app.MapScalarApiReference("/api/docs", options => options
                .WithTitle("AgentC2 API")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                .AddPreferredSecuritySchemes(SecurityScheme)
                .DisableAgent()
                .DisableMcp()
                .HideDeveloperTools()
                .HideClientButton())
            .DisableRateLimiting().AllowAnonymous();
    }
}
