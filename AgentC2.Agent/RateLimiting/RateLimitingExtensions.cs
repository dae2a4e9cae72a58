using System.Globalization;
using System.Threading.RateLimiting;
using AgentC2.Agent.Errors;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using StackExchange.Redis;

namespace AgentC2.Agent.RateLimiting;

internal static partial class RateLimitingExtensions
{
    private const string TenantPolicy = "tenant";

    public static void AddTenantRateLimiting(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddRateLimiter(options =>
        {
            options.AddPolicy<string, TenantRateLimitPolicy>(TenantPolicy);
            options.OnRejected = WriteRejectionAsync;
        });
    }

    /// <summary>In Development without Redis the limiter counts in memory; say so, since replicas then do not share limits.</summary>
    public static void WarnWhenLimitsAreLocal(this WebApplication app)
    {
        if (app.Services.GetService<IConnectionMultiplexer>() is null)
        {
            LogInMemory(app.Logger);
        }
    }

    /// <summary>Applies the per-organization and per-key limits (once, on a route group).</summary>
    public static TBuilder RequireTenantRateLimit<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.RequireRateLimiting(TenantPolicy);

    private static async ValueTask WriteRejectionAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var retryAfter = RetryAfterSeconds(context.Lease);
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        await context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context.HttpContext,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Type = Problems.RateLimited,
                Detail = $"The rate limit of this organization or API key is used up; retry in {retryAfter} s.",
            },
        });
    }

    private static int RetryAfterSeconds(RateLimitLease lease)
    {
        foreach (var name in lease.MetadataNames)
        {
            if (lease.TryGetMetadata(name, out var value) && name.Contains("RETRY", StringComparison.OrdinalIgnoreCase))
            {
                var seconds = value switch
                {
                    TimeSpan span => span.TotalSeconds,
                    int whole => whole,
                    long whole => whole,
                    _ => 1,
                };
                return Math.Max(1, (int)Math.Ceiling(seconds));
            }
        }

        return 1;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No Redis is configured: rate limits are counted in this process only and are not shared between replicas (Development only)")]
    private static partial void LogInMemory(ILogger logger);
}
