using System.Globalization;
using System.Text;
using AgentC2.AppHost.Deployment.Plan;

namespace AgentC2.AppHost.Deployment.Caddy;

/// <summary>Writes the Caddyfile of the edge: TLS for the public host, security headers, routes by path to every replica of a service.</summary>
internal static class CaddyfileWriter
{
    public const string Path = "deploy/caddy/Caddyfile.production";
    /// <summary>
    /// Pinned like every other image. At least 2.8: from that release Caddy retries a request for which no upstream is
    /// available at that instant within <c>lb_try_duration</c> whatever its method (2.6 and 2.7 refused a POST at once).
    /// </summary>
    public const string Image = "docker.io/library/caddy:2.10.2-alpine";

    /// <summary>
    /// How often Caddy reads the replicas' addresses again: well inside the services' readiness drain (5 s), so a stopping
    /// replica, which the orchestrator takes out of its DNS first, gets no new request before it stops accepting connections.
    /// </summary>
    public static readonly TimeSpan UpstreamRefresh = TimeSpan.FromSeconds(1);

    /// <summary>What the edge tells a client to wait when no instance could answer (the API's own 503s say the same).</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>Every path of the API starts with this; the edge answers its own errors there as problems.</summary>
    public const string ApiPathPrefix = "/api";

    /// <summary>The problem type of the edge's 503 (docs/api.md).</summary>
    public const string UnavailableProblemType = "urn:agentc2:problem:service-unavailable";

    private const string UnavailableProblem =
        "{\"type\":\"" + UnavailableProblemType + "\",\"title\":\"Service unavailable\",\"status\":503,"
        + "\"detail\":\"No AgentC2 instance could answer the request. Retry after the seconds in Retry-After; an invocation retried with the same Idempotency-Key runs once.\"}";

    private const string UnavailablePage =
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">"
        + "<title>AgentC2 is unavailable</title></head><body><main><h1>AgentC2 is unavailable for a moment</h1>"
        + "<p>No instance could answer. Try again in a few seconds.</p></main></body></html>";

    /// <summary>The longest request target the edge passes on: below Kestrel's 8 KiB request line (method and version included).</summary>
    public const int MaxRequestTargetBytes = 8000;

    /// <summary>The production site: upstreams by service name, host name from <c>DOMAIN</c>.</summary>
    public static CaddySite Site(DeploymentPlan plan)
    {
        var routes = plan.PublicApps
            .Select(app => new CaddyRoute(app.Name, [.. app.Settings.PublicRoutes.Where(r => r != "/")], app.Name, app.Port, TimeSpan.FromSeconds(15)))
            .OrderBy(route => route.PathPrefixes.Count == 0) // the catch-all route last
            .ToList();
        if (routes.Count(route => route.PathPrefixes.Count == 0) > 1)
        {
            throw new InvalidOperationException("only one service may take the public routes no other service claims ('/')");
        }

        var refused = plan.PublicApps.SelectMany(app => app.Settings.HiddenRoutes).Prepend(InternalApi.PathPrefix).Distinct().ToList();
        return new CaddySite("{$DOMAIN}", refused, routes);
    }

    public static GeneratedFile Write(CaddySite site) => new(Path, Render(site,
        "The AgentC2 edge (Caddy 2): TLS, security headers, routes to the services by name.\n"
        + "Generated from the AppHost by `aspire publish`; do not edit (docs/deployment.md)."));

    private static string Render(CaddySite site, string header)
    {
        var text = new StringBuilder(Yaml.Header(header));
        text.Append(site.Address).Append(" {\n");
        text.Append("\tencode zstd gzip\n\n");
        text.Append("\theader {\n");
        AppendSecurityHeaders(text, "\t\t");
        text.Append("\t}\n\n");
        // Caddy runs handle blocks before respond, so the refusal is the first handle (a bare respond would never be reached).
        text.Append("\t# Internal endpoints are never routed from outside: the first handle, before any route.\n");
        text.Append("\t@refused path ").AppendJoin(' ', site.RefusedPaths.SelectMany(Matchers)).Append('\n');
        AppendProblem(text, "refused", 404, "not-found", "Not found", "This path is not served here.");
        AppendUnparseableRefusals(text);

        foreach (var route in site.Routes)
        {
            text.Append('\n');
            if (route.PathPrefixes.Count == 0)
            {
                text.Append("\thandle {\n");
            }
            else
            {
                text.Append("\t@").Append(route.Service).Append(" path ").AppendJoin(' ', route.PathPrefixes.SelectMany(Matchers)).Append('\n');
                text.Append("\thandle @").Append(route.Service).Append(" {\n");
            }

            text.Append("\t\treverse_proxy {\n");
            // Dynamic upstreams: with the name as a static upstream Caddy keeps one resolved address per connection (all
            // requests to one replica, health checks of one). Docker's DNS answers the service name with every replica
            // (compose, and Swarm with endpoint_mode dnsrr, which needs no IPVS), and drops a stopping one first.
            text.Append("\t\t\t# Every replica: the orchestrator's DNS answers the name with one address per replica.\n");
            text.Append("\t\t\tdynamic a {\n");
            text.Append("\t\t\t\tname ").Append(route.UpstreamName).Append('\n');
            text.Append("\t\t\t\tport ").Append(route.Port.ToString(CultureInfo.InvariantCulture)).Append('\n');
            text.Append("\t\t\t\trefresh ").Append(Duration(UpstreamRefresh)).Append('\n');
            text.Append("\t\t\t\tdial_timeout 2s\n");
            text.Append("\t\t\t}\n");
            // Unlike round robin, whose concurrent selections can each land on the one replica that is down, least_conn
            // never reports "no upstreams" while one is available.
            text.Append("\t\t\t# The replica with the fewest requests in flight: sync runs and event streams last seconds to minutes.\n");
            text.Append("\t\t\tlb_policy least_conn\n");
            text.Append("\t\t\tlb_try_duration ").Append(Duration(route.TryDuration)).Append('\n');
            text.Append("\t\t\tlb_try_interval 250ms\n");
            // Caddy runs no active health checks on dynamic upstreams (caddyserver/caddy#7036): passive ones only. A replica
            // that refused a connection is skipped for a while; a request that never reached one is tried on another.
            text.Append("\t\t\t# Passive health (no active checks on dynamic upstreams): a replica that failed is skipped for 10 s.\n");
            text.Append("\t\t\tfail_duration 10s\n");
            text.Append("\t\t\tmax_fails 1\n");
            text.Append("\t\t\t# Server-sent events (live run steps) are passed on as they are written.\n");
            text.Append("\t\t\tflush_interval -1\n");
            text.Append("\t\t}\n");
            text.Append("\t}\n");
        }

        AppendUnavailable(text);
        text.Append("}\n");
        return text.ToString();
    }

    /// <summary>
    /// The edge's own errors (no instance answered within <c>lb_try_duration</c>, or none could be reached) as a 503 that
    /// says when to try again: a problem under <c>/api</c>, as the API's own errors are, and a short page elsewhere.
    /// </summary>
    private static void AppendUnavailable(StringBuilder text)
    {
        const string Unavailable = "expression `{err.status_code} in [502, 503, 504]`";
        text.Append('\n');
        text.Append("\t# No instance could answer: 503 with Retry-After, a problem for the API, a page for people.\n");
        text.Append("\thandle_errors {\n");
        text.Append("\t\t@api_unavailable {\n");
        text.Append("\t\t\t").Append(Unavailable).Append('\n');
        text.Append("\t\t\tpath ").AppendJoin(' ', Matchers(ApiPathPrefix)).Append('\n');
        text.Append("\t\t}\n");
        AppendUnavailableResponse(text, "@api_unavailable", "application/problem+json", UnavailableProblem);
        text.Append("\t\t@unavailable ").Append(Unavailable).Append('\n');
        AppendUnavailableResponse(text, "@unavailable", "\"text/html; charset=utf-8\"", UnavailablePage);
        text.Append("\t}\n");
    }

    private static void AppendUnavailableResponse(StringBuilder text, string matcher, string contentType, string body)
    {
        text.Append("\t\thandle ").Append(matcher).Append(" {\n");
        text.Append("\t\t\theader {\n");
        text.Append("\t\t\t\tContent-Type ").Append(contentType).Append('\n');
        text.Append("\t\t\t\tRetry-After ").Append(RetryAfterSeconds.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("\t\t\t\tCache-Control no-store\n");
        AppendSecurityHeaders(text, "\t\t\t\t");
        text.Append("\t\t\t}\n");
        text.Append("\t\t\trespond `").Append(body).Append("` 503\n");
        text.Append("\t\t}\n");
    }

    /// <summary>On every answer of the edge, its own errors included.</summary>
    /// <summary>
    /// Requests the services' web server (Kestrel) refuses before any application code runs, with an empty answer: a
    /// request line over its 8 KiB limit (414) and a NUL (<c>%00</c>) in the decoded path (400). The edge refuses them
    /// first, as problems; the target limit sits below Kestrel's line limit. (Other control characters and invalid UTF-8
    /// reach the API, which answers them itself.)
    /// </summary>
    private static void AppendUnparseableRefusals(StringBuilder text)
    {
        text.Append("\n\t# What the services' web server would refuse with an empty answer, refused here as a problem.\n");
        text.Append("\t@target_too_long expression `size({http.request.uri}) > ").Append(MaxRequestTargetBytes.ToString(CultureInfo.InvariantCulture)).Append("`\n");
        AppendProblem(text, "target_too_long", 414, "uri-too-long", "URI too long",
            $"The request target is longer than {MaxRequestTargetBytes} bytes: send large values in a JSON body.");
        text.Append("\t@nul_in_path path_regexp \\x00\n");
        AppendProblem(text, "nul_in_path", 400, "bad-request", "Bad request", "The path holds a NUL character (%00), which no route accepts.");
    }

    private static void AppendProblem(StringBuilder text, string matcher, int status, string type, string title, string detail)
    {
        var code = status.ToString(CultureInfo.InvariantCulture);
        text.Append("\thandle @").Append(matcher).Append(" {\n");
        text.Append("\t\theader Content-Type application/problem+json\n");
        text.Append("\t\trespond `{\"type\":\"urn:agentc2:problem:").Append(type).Append("\",\"title\":\"").Append(title)
            .Append("\",\"status\":").Append(code).Append(",\"detail\":\"").Append(detail).Append("\"}` ").Append(code).Append('\n');
        text.Append("\t}\n");
    }

    private static void AppendSecurityHeaders(StringBuilder text, string indent)
    {
        text.Append(indent).Append("Strict-Transport-Security \"max-age=31536000; includeSubDomains\"\n");
        text.Append(indent).Append("X-Content-Type-Options nosniff\n");
        text.Append(indent).Append("Referrer-Policy strict-origin-when-cross-origin\n");
        text.Append(indent).Append("-Server\n");
    }

    private static IEnumerable<string> Matchers(string prefix) => [prefix, prefix.TrimEnd('/') + "/*"];

    private static string Duration(TimeSpan duration) => $"{duration.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s";
}
