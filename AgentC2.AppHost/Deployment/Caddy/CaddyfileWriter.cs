using System.Globalization;
using System.Text;
using AgentC2.AppHost.Deployment.Plan;

namespace AgentC2.AppHost.Deployment.Caddy;

/// <summary>Writes the Caddyfile of the edge: TLS for the public host, security headers, routes by path, health-checked upstreams.</summary>
internal static class CaddyfileWriter
{
    public const string Path = "deploy/caddy/Caddyfile.production";
    public const string Image = "caddy:2-alpine";

    /// <summary>
    /// How often Caddy asks each upstream's readiness: well inside the services' shutdown drain (5 s), so a stopping
    /// replica leaves the rotation before it stops accepting connections.
    /// </summary>
    public static readonly TimeSpan HealthInterval = TimeSpan.FromSeconds(2);

    /// <summary>The production site: upstreams by service name, host name from <c>DOMAIN</c>.</summary>
    public static CaddySite Site(DeploymentPlan plan)
    {
        var routes = plan.PublicApps
            .Select(app => new CaddyRoute(app.Name, [.. app.Settings.PublicRoutes.Where(r => r != "/")], [$"{app.Name}:{app.Port}"],
                app.Settings.ReadinessPath, HealthInterval, TimeSpan.FromSeconds(15)))
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
        text.Append("\t\tStrict-Transport-Security \"max-age=31536000; includeSubDomains\"\n");
        text.Append("\t\tX-Content-Type-Options nosniff\n");
        text.Append("\t\tReferrer-Policy strict-origin-when-cross-origin\n");
        text.Append("\t\t-Server\n");
        text.Append("\t}\n\n");
        text.Append("\t# Internal endpoints are never routed from outside.\n");
        text.Append("\t@refused path ").AppendJoin(' ', site.RefusedPaths.SelectMany(Matchers)).Append('\n');
        text.Append("\trespond @refused 404\n");

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

            text.Append("\t\treverse_proxy ").AppendJoin(' ', route.Upstreams).Append(" {\n");
            text.Append("\t\t\tlb_policy round_robin\n");
            text.Append("\t\t\tlb_try_duration ").Append(Duration(route.TryDuration)).Append('\n');
            text.Append("\t\t\tlb_try_interval 250ms\n");
            text.Append("\t\t\thealth_uri ").Append(route.HealthPath).Append('\n');
            text.Append("\t\t\thealth_interval ").Append(Duration(route.HealthInterval)).Append('\n');
            text.Append("\t\t\thealth_timeout 3s\n");
            text.Append("\t\t\thealth_status 2xx\n");
            // A failed request keeps an upstream out for a few seconds only, well under lb_try_duration: a request then
            // waits for it rather than failing (with Swarm's one virtual address as the upstream, a long window would
            // turn one reset connection into many 503s).
            text.Append("\t\t\tfail_duration 5s\n");
            text.Append("\t\t\t# Server-sent events (live run steps) are passed on as they are written.\n");
            text.Append("\t\t\tflush_interval -1\n");
            text.Append("\t\t}\n");
            text.Append("\t}\n");
        }

        text.Append("}\n");
        return text.ToString();
    }

    private static IEnumerable<string> Matchers(string prefix) => [prefix, prefix.TrimEnd('/') + "/*"];

    private static string Duration(TimeSpan duration) => $"{duration.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s";
}
