using System.Diagnostics;
using System.Globalization;

namespace AgentC2.Agent.Mcp;

/// <summary>
/// The process group a stdio MCP server runs in. The server is launched as <c>/bin/sh -c '&lt;launcher&gt;' command args…</c>:
/// the shell reports its process id on stderr, then <c>exec setsid</c> makes it the leader of a new session, so the
/// group id is that process id and every process the server starts belongs to it, even after the server exits.
/// <see cref="KillAsync"/> ends the whole group.
/// </summary>
internal sealed class ServerProcessGroup
{
    public const string Marker = "agentc2-mcp-process-group:";

    /// <summary>The shell script: <c>$0</c> is the server's command, <c>$@</c> its arguments.</summary>
    public const string Launcher = "echo \"" + Marker + "$$\" >&2; exec setsid \"$0\" \"$@\"";

    private int _id;

    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && File.Exists("/bin/sh")
        && (File.Exists("/usr/bin/setsid") || File.Exists("/bin/setsid"));

    public int? Id => Volatile.Read(ref _id) is > 1 and var id ? id : null;

    /// <summary>Reads the server's stderr for the launcher's report.</summary>
    public void Observe(string line)
    {
        if (line.StartsWith(Marker, StringComparison.Ordinal) && int.TryParse(line.AsSpan(Marker.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            Volatile.Write(ref _id, id);
        }
    }

    /// <summary>Sends SIGKILL to every process left in the group (nothing happens when none is).</summary>
    public async Task KillAsync()
    {
        if (Id is not { } id)
        {
            return;
        }

        using var kill = Process.Start(new ProcessStartInfo("kill", ["-KILL", "--", $"-{id}"]) { RedirectStandardError = true, UseShellExecute = false });
        if (kill is not null)
        {
            await kill.WaitForExitAsync();
        }
    }
}
