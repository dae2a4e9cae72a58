using Microsoft.Extensions.Options;

namespace AgentC2.Agent.Mcp;

/// <summary>Sweeps idle clients every <see cref="McpPoolOptions.SweepInterval"/> and logs the pool's state every <see cref="McpPoolOptions.StateLogInterval"/>.</summary>
internal sealed partial class McpPoolService(McpClientPool pool, IOptions<McpOptions> options, TimeProvider time, ILogger<McpPoolService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(RepeatAsync(options.Value.Pool.SweepInterval, pool.SweepAsync, stoppingToken), RepeatAsync(options.Value.Pool.StateLogInterval, _ => LogState(), stoppingToken));

    private Task<int> LogState()
    {
        var state = pool.State();
        var organizations = state.Entries.Select(e => e.OrganizationId).Distinct().Count();
        LogPoolState(logger, state.Clients, state.InUse, state.Clients - state.InUse, state.MaxClients, organizations);
        return Task.FromResult(state.Clients);
    }

    private async Task RepeatAsync(TimeSpan interval, Func<CancellationToken, Task<int>> action, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await action(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping; the pool itself is disposed with the service provider (every server process ends).
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "MCP pool: {Clients} clients ({InUse} in use, {Idle} idle) of {MaxClients}, for {Organizations} organizations")]
    private static partial void LogPoolState(ILogger logger, int clients, int inUse, int idle, int maxClients, int organizations);
}
