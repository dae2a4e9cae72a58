using AgentC2.Frontend.AgentApi;
using AgentC2.Frontend.Console;
using AgentC2.ServiceDefaults.Health;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentC2.Frontend.Pages;

/// <summary>
/// The health of every service (the console's own checks in-process, the agent's and the worker's over HTTP) and, for the
/// operator, every running instance from the fleet's heartbeats: what to watch during a rollout.
/// </summary>
internal sealed class SystemModel(HealthCheckService health, IHttpClientFactory clients, AgentApiClient agentApi) : PageModel
{
    public List<ServiceHealthView> Services { get; } = [];

    /// <summary>The fleet, for the operator (null for an organization's user).</summary>
    public IReadOnlyList<InstanceView>? Instances { get; private set; }

    /// <summary>Why the fleet could not be read.</summary>
    public string? InstancesProblem { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        if (User.IsOperator())
        {
            try
            {
                Instances = await agentApi.ListInstancesAsync(cancellationToken);
            }
            catch (AgentApiException e)
            {
                InstancesProblem = e.Detail ?? e.Title;
            }
        }

        var own = await HealthSnapshot.ReadAsync(health, cancellationToken);
        Services.Add(new ServiceHealthView(ResourceNames.Frontend, own.Status, [.. own.Checks.Select(c => new CheckView(c.Name, c.Status, c.Description))], null));

        var others = new[] { ResourceNames.Agent, ResourceNames.Worker }.Select(async service => (service, result: await ServiceHealth.ReadAsync(clients, service, cancellationToken)));
        foreach (var (service, (report, problem)) in await Task.WhenAll(others))
        {
            Services.Add(report is null
                ? new ServiceHealthView(service, "Unknown", [], problem)
                : new ServiceHealthView(service, report.Status, [.. report.Checks.Select(c => new CheckView(c.Key, c.Value.Status, c.Value.Description))], null));
        }
    }
}

internal sealed record ServiceHealthView(string Name, string Status, IReadOnlyList<CheckView> Checks, string? Problem);

internal sealed record CheckView(string Name, string Status, string? Description);
