namespace AgentC2.Bench;

/// <summary>
/// The HTTP ceiling: Kestrel reading the same JSON body as an invocation and answering a JSON
/// object, with no authentication, rate limiting, database or model behind it.
/// </summary>
internal static class KestrelCeiling
{
    public sealed record Body(string? Input, int? MaxSteps, string? ExecutionMode);

    public static async Task<int> RunAsync(string url)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        app.MapPost("/invoke", (Body body) => TypedResults.Ok(new { id = Guid.CreateVersion7(), status = "succeeded", output = body.Input, steps = 1 }));
        await app.RunAsync();
        return 0;
    }
}
