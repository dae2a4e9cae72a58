using System.Collections.Concurrent;
using System.Diagnostics;

namespace AgentC2.Tests.Fixtures;

/// <summary>A built service (agent, worker) run by a test as its own process on a loopback port, outside the AppHost; killed on dispose.</summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ServiceProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
        process.OutputDataReceived += (_, line) => Keep(line.Data);
        process.ErrorDataReceived += (_, line) => Keep(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri Address { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the service wrote so far.</summary>
    public string Output => string.Join('\n', _output);

    public int Id => _process.Id;

    public static ServiceProcess Start(string project, IReadOnlyDictionary<string, string?> environment) =>
        Start(project, new Uri($"http://127.0.0.1:{Loopback.FreePort()}"), environment, inherit: true);

    /// <summary>
    /// Starts <paramref name="project"/> listening on <paramref name="address"/> with <paramref name="environment"/>, on top of
    /// this process's environment when <paramref name="inherit"/> (else with that environment alone).
    /// </summary>
    /// <param name="alsoListenOn">Further addresses the service listens on (e.g. its metrics port).</param>
    public static ServiceProcess Start(string project, Uri address, IReadOnlyDictionary<string, string?> environment, bool inherit, IReadOnlyList<Uri>? alsoListenOn = null)
    {
        var assembly = Repository.ServiceAssembly(project);
        var urls = string.Join(';', (alsoListenOn ?? []).Prepend(address).Select(u => u.ToString().TrimEnd('/')));
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet", ["exec", assembly, "--urls", urls])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
        };
        if (!inherit)
        {
            start.Environment.Clear();
        }

        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return new ServiceProcess(Process.Start(start)!, address);
    }

    /// <summary>Sends the stop signal an orchestrator sends (SIGTERM) and waits up to <paramref name="bound"/> for the exit; its code.</summary>
    public async Task<int> TerminateAsync(TimeSpan bound)
    {
        if (!_process.HasExited)
        {
            using var signal = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!;
            await signal.WaitForExitAsync();
        }

        await _process.WaitForExitAsync().WaitAsync(bound);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}
