namespace AgentC2.AppHost.Deployment.Caddy;

/// <summary>The edge as Caddy serves it: one site, paths it refuses, and a reverse proxy per public service.</summary>
internal sealed record CaddySite(string Address, IReadOnlyList<string> RefusedPaths, IReadOnlyList<CaddyRoute> Routes);

/// <summary>
/// Requests under <see cref="PathPrefixes"/> (all others when there are none) go to every replica the orchestrator's DNS
/// gives for <see cref="UpstreamName"/> (one address per replica, read again every second), on <see cref="Port"/>; a
/// request no replica could take is tried again for up to <see cref="TryDuration"/> (a replica restarting).
/// </summary>
internal sealed record CaddyRoute(
    string Service,
    IReadOnlyList<string> PathPrefixes,
    string UpstreamName,
    int Port,
    TimeSpan TryDuration);
