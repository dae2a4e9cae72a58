using AgentC2.Frontend.AgentApi;
using AgentC2.Frontend.Console;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Mvc;

namespace AgentC2.Frontend.Pages.Runs;

/// <summary>The organization's runs, newest first, filtered by status and agent, a page at a time.</summary>
internal sealed class RunsIndexModel(AgentApiClient agentApi) : ConsolePageModel
{
    public const int PageSize = 20;

    public static readonly string[] Statuses = RunStatus.All;

    [FromQuery]
    public string? Status { get; set; }

    [FromQuery]
    public string? Agent { get; set; }

    [FromQuery]
    public string? Cursor { get; set; }

    public RunPage? Runs { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Status = Statuses.Contains(Status) ? Status : null;
        Agent = string.IsNullOrWhiteSpace(Agent) ? null : Agent.Trim();
        await TryApiAsync(async () => Runs = await agentApi.ListRunsAsync(Status, Agent, Cursor, PageSize, cancellationToken));
    }

    public string PageLink(string? cursor)
    {
        var query = new QueryBuilder();
        if (Status is not null)
        {
            query.Add("status", Status);
        }

        if (Agent is not null)
        {
            query.Add("agent", Agent);
        }

        if (cursor is not null)
        {
            query.Add("cursor", cursor);
        }

        return "/runs" + query.ToQueryString();
    }
}
