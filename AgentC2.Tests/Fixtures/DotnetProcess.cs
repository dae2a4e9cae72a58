using System.Diagnostics;

namespace AgentC2.Tests.Fixtures;

internal sealed record ProcessOutcome(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Everything the program said, for an assertion's message.</summary>
    public string Output => $"exit {ExitCode}\n{StandardOutput}\n{StandardError}";
}

/// <summary>Runs a program to completion within a bound (killing it past the bound).</summary>
internal static class ToolProcess
{
    public static async Task<ProcessOutcome> RunAsync(string tool, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment,
        TimeSpan timeout, string? workingDirectory = null)
    {
        var startInfo = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            startInfo.Environment[name] = value;
        }

        Process process;
        try
        {
            process = Process.Start(startInfo)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{tool} is not installed ({e.Message}); run ./scripts/setup.sh --test-tools");
        }

        using (process)
        {
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
                throw new TimeoutException($"{Path.GetFileName(tool)} {string.Join(' ', startInfo.ArgumentList)} did not exit within {timeout.TotalSeconds} s");
            }

            return new ProcessOutcome(process.ExitCode, await output, await error);
        }
    }
}

/// <summary>Runs a built .NET program to completion within a bound.</summary>
internal static class DotnetProcess
{
    public static Task<ProcessOutcome> RunAsync(string assembly, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment, TimeSpan timeout) =>
        ToolProcess.RunAsync(Environment.ProcessPath ?? "dotnet", ["exec", assembly, .. arguments], environment, timeout, Path.GetDirectoryName(assembly));
}
