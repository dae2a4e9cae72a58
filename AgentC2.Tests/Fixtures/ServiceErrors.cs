using Microsoft.Extensions.DependencyInjection;

namespace AgentC2.Tests.Fixtures;

/// <summary>What a service logged when a test step against it failed.</summary>
public sealed class ServiceErrors(DistributedApplication app)
{
    private readonly DistributedApplication _app = app;

    /// <summary>
    /// Runs <paramref name="action"/>; if it fails, the failure carries the service's last logged exceptions (what a 500's
    /// trace id points at), so a failure in CI explains itself.
    /// </summary>
    public async Task<T> AttachedToAsync<T>(string service, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw new InvalidOperationException($"{exception.Message}\n{service} logged:\n{await LastExceptionAsync(service)}", exception);
        }
    }

    /// <summary>The last exception any replica of <paramref name="service"/> logged (not a frame of its stack), with its stack.</summary>
    public async Task<string> LastExceptionAsync(string service)
    {
        var resource = _app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == service);
        var lines = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await foreach (var batch in _app.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(resource).WithCancellation(timeout.Token))
            {
                lines.AddRange(batch.Select(l => l.Content));
            }
        }
        catch (OperationCanceledException)
        {
            // The log so far is what there is.
        }

        var last = lines.FindLastIndex(l => l.Contains("Exception", StringComparison.Ordinal)
            && !System.Text.RegularExpressions.Regex.IsMatch(l, @"^\S*\s+at "));
        return last < 0 ? "(no exception)" : string.Join('\n', lines.Skip(Math.Max(0, last - 2)).Take(16));
    }
}
