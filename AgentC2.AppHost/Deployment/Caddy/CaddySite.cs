namespace AgentC2.AppHost.Deployment.Caddy;

/// <summary>The edge as Caddy serves it: one site, paths it refuses, and a reverse proxy per public service.</summary>
internal sealed record CaddySite(string Address, IReadOnlyList<string> RefusedPaths, IReadOnlyList<CaddyRoute> Routes);

/// <summary>
/// Requests under <see cref="PathPrefixes"/> (all others when there are none) go to <see cref="Upstreams"/>;
/// Caddy asks each upstream's <see cref="HealthPath"/> and retries a request for up to <see cref="TryDuration"/>
/// while no healthy upstream answers (a replica restarting).
/// </summary>
internal sealed record CaddyRoute(
    string Service,
    IReadOnlyList<string> PathPrefixes,
    IReadOnlyList<string> Upstreams,
    string HealthPath,
    TimeSpan HealthInterval,
    TimeSpan TryDuration);
