using System.Globalization;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The container health probe, without curl or wget (the ASP.NET runtime images ship neither):
/// <c>dotnet &lt;Service&gt;.dll --health-probe [path]</c> asks the service in the same container
/// (<c>http://127.0.0.1:$HTTP_PORTS{path}</c>, <see cref="AgentC2.ServicePaths.Live"/> by default) and exits 0 on a
/// 2xx answer within <see cref="Timeout"/>, 1 otherwise. The Dockerfiles' <c>HEALTHCHECK</c> and the compose
/// healthchecks run exactly this.
/// </summary>
public static class HealthProbe
{
    public const string Argument = "--health-probe";

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(4);

    public static bool IsRequested(string[] args) => args.Length > 0 && args[0] == Argument;

    public static async Task<int> RunAsync(string[] args)
    {
        var path = args.Length > 1 ? args[1] : AgentC2.ServicePaths.Live;
        if (!path.StartsWith('/'))
        {
            await Console.Error.WriteLineAsync($"health probe: the path must start with '/', got '{path}'");
            return 1;
        }

        var target = new Uri($"http://127.0.0.1:{ListeningPort()}{path}");
        using var http = new HttpClient { Timeout = Timeout };
        try
        {
            using var response = await http.GetAsync(target, HttpCompletionOption.ResponseHeadersRead);
            if (response.IsSuccessStatusCode)
            {
                return 0;
            }

            await Console.Error.WriteLineAsync($"health probe: {target} answered {(int)response.StatusCode}");
            return 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            await Console.Error.WriteLineAsync($"health probe: {target} did not answer: {e.Message}");
            return 1;
        }
    }

    /// <summary>The first of <c>HTTP_PORTS</c> (or <c>ASPNETCORE_HTTP_PORTS</c>), else the containers' default.</summary>
    private static int ListeningPort()
    {
        var ports = Environment.GetEnvironmentVariable("HTTP_PORTS") ?? Environment.GetEnvironmentVariable("ASPNETCORE_HTTP_PORTS");
        var first = ports?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : AgentC2.ServicePaths.ContainerPort;
    }
}
