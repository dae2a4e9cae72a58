using Microsoft.AspNetCore.Authentication;

namespace AgentC2.Agent.Tenancy;

internal static class TenancyExtensions
{
    public static void AddTenancy(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TenancyOptions>().BindConfiguration(TenancyOptions.Section);
        builder.Services.AddSingleton<OrganizationStore>();
        builder.Services.AddSingleton<CallerCache>();
        builder.Services.AddHostedService(services => services.GetRequiredService<CallerCache>().Cache);
        builder.Services.AddSingleton<DemoOrganizationSeeder>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(TenancyClaims.OrganizationPolicy, policy => policy.RequireAssertion(context => context.User.HasOrganization()))
            .AddPolicy(TenancyClaims.OperatorPolicy, policy => policy.RequireRole(TenancyClaims.OperatorRole))
            .AddPolicy(TenancyClaims.InternalPolicy, policy => policy.RequireRole(TenancyClaims.InternalRole));
    }

    /// <summary>Only callers with an organization's API key; everything they reach is scoped to that organization.</summary>
    public static TBuilder RequireOrganization<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.RequireAuthorization(TenancyClaims.OrganizationPolicy);

    /// <summary>Only the worker, with the internal service credential.</summary>
    public static TBuilder RequireInternalCaller<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.RequireAuthorization(TenancyClaims.InternalPolicy);

    public static TBuilder RequireOperator<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.RequireAuthorization(TenancyClaims.OperatorPolicy);
}
