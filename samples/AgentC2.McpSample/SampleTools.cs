using System.ComponentModel;
using ModelContextProtocol.Server;

namespace AgentC2.McpSample;

/// <summary>Deterministic tools for demos, tests and benchmarks.</summary>
[McpServerToolType]
internal sealed class SampleTools
{
    [McpServerTool(Name = "echo"), Description("Returns the text it is given.")]
    public static string Echo([Description("The text to return.")] string text) => $"echo: {text}";

    [McpServerTool(Name = "add"), Description("Adds two integers.")]
    public static long Add([Description("The first addend.")] long a, [Description("The second addend.")] long b) => a + b;

    [McpServerTool(Name = "slow"), Description("Waits for the given number of milliseconds, then returns the text.")]
    public static async Task<string> SlowAsync(
        [Description("The text to return.")] string text,
        [Description("How long to wait, in milliseconds (at most 60000).")] int delayMs = 1000,
        CancellationToken cancellationToken = default)
    {
        await Task.Delay(Math.Clamp(delayMs, 0, 60_000), cancellationToken);
        return $"slow: {text}";
    }

    [McpServerTool(Name = "crash"), Description("Ends the server process at once (for exercising recovery).")]
    public static string Crash([Description("Why.")] string reason = "asked to")
    {
        Console.Error.WriteLine($"crashing: {reason}");
        Environment.Exit(3);
        return "unreachable";
    }

    [McpServerTool(Name = "child"), Description("Starts a long-lived child process (for checking that a server's whole process tree ends with it) and returns its id.")]
    public static int Child()
    {
        using var child = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sleep", "600") { UseShellExecute = false });
        return child!.Id;
    }

    [McpServerTool(Name = "pid"), Description("The server's process id.")]
    public static int Pid() => Environment.ProcessId;
}
