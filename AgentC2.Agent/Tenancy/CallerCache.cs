using AgentC2.Agent.Caching;
using Microsoft.Extensions.Options;

namespace AgentC2.Agent.Tenancy;

/// <summary>
/// Who an API key belongs to, cached per instance for <see cref="TenancyOptions.ApiKeyCacheDuration"/> so that a request
/// does not pay a database round trip to authenticate. A revocation empties the cache at once on the revoking instance
/// and, through Redis pub/sub, on every other; if Redis is away, a revoked key stops working everywhere within the
/// cache duration. Unknown keys are not cached: they always reach the database.
/// </summary>
internal sealed class CallerCache(OrganizationStore organizations, IServiceProvider services, IOptions<TenancyOptions> options, TimeProvider time, ILogger<CallerCache> logger)
{
    public SharedInvalidationCache<Caller> Cache { get; } = new("agentc2:api-keys:revoked", options.Value.ApiKeyCacheDuration, services, time, logger);

    public Task<Caller?> FindCallerAsync(string apiKey, CancellationToken cancellationToken) =>
        Cache.GetOrLoadAsync(Convert.ToBase64String(ApiKeys.Hash(apiKey)), ct => organizations.FindCallerAsync(apiKey, ct), cancellationToken);

    /// <summary>A key was revoked here: every instance forgets every cached key.</summary>
    public Task RevokedAsync() => Cache.InvalidateAsync();
}
