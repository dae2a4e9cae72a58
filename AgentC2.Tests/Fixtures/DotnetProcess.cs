using System.Diagnostics;
using System.Text;

namespace AgentC2.Tests.Fixtures;

internal sealed record ProcessOutcome(int ExitCode, string StandardOutput, string StandardError);

/// <summary>Runs a built .NET program to completion within a bound (killing it past the bound).</summary>
internal static class DotnetProcess
{
    public static async Task<ProcessOutcome> RunAsync(string assembly, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment, TimeSpan timeout)
    {
        var startInfo = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
        };
        startInfo.ArgumentList.Add("exec");
        startInfo.ArgumentList.Add(assembly);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            startInfo.Environment[name] = value;
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(assembly)} {string.Join(' ', startInfo.ArgumentList)} did not exit within {timeout.TotalSeconds} s");
        }

        return new ProcessOutcome(process.ExitCode, await output, await error);
    }
}
