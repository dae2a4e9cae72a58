using Microsoft.Extensions.Configuration;

namespace AgentC2.AppHost.Infrastructure;

/// <summary>
/// The PostgreSQL server binaries and the account they run under. PostgreSQL refuses to run as
/// root, so an AppHost running as root starts it as the <c>postgres</c> user through <c>setpriv</c>.
/// </summary>
internal sealed record PostgresInstallation(string BinDirectory, string? RunAsUser)
{
    /// <summary>Overrides the newest <c>/usr/lib/postgresql/*/bin</c>.</summary>
    public const string BinDirectoryKey = "AgentC2:Postgres:BinDirectory";

    private const string ServiceAccount = "postgres";

    public string Tool(string name) => Path.Combine(BinDirectory, name);

    /// <summary>The command and arguments that run <paramref name="program"/> under the server's account.</summary>
    public (string Command, IReadOnlyList<string> Arguments) Invocation(string program, params string[] arguments) => RunAsUser is null
        ? (program, arguments)
        : (SetPriv, [$"--reuid={RunAsUser}", $"--regid={RunAsUser}", "--init-groups", program, .. arguments]);

    /// <summary>Whether the server's account can enter <paramref name="directory"/> (every folder on its path must let it).</summary>
    public bool CanReach(string directory)
    {
        if (RunAsUser is null)
        {
            return true;
        }

        var (command, arguments) = Invocation("/usr/bin/test", "-x", directory);
        return ProcessRunner.RunAsync(command, arguments, CancellationToken.None).GetAwaiter().GetResult().ExitCode == 0;
    }

    private static string SetPriv => ExecutableLookup.FindOnPath("setpriv")
        ?? throw new InfrastructureException("setpriv was not found on PATH: install it with 'apt-get install -y util-linux' to run PostgreSQL as a non-root user.");

    public static PostgresInstallation Locate(IConfiguration configuration)
    {
        var configured = configuration[BinDirectoryKey];
        var binDirectory = !string.IsNullOrWhiteSpace(configured)
            ? configured
            : NewestDebianBinDirectory();

        if (binDirectory is null || !File.Exists(Path.Combine(binDirectory, "postgres")) || !File.Exists(Path.Combine(binDirectory, "initdb")))
        {
            throw new InfrastructureException(
                "PostgreSQL server binaries (postgres, initdb) were not found in /usr/lib/postgresql/<version>/bin: install them with 'apt-get install -y postgresql' (or run scripts/setup.sh), or set " + BinDirectoryKey + ".");
        }

        var runAs = Environment.UserName == "root" ? ServiceAccount : null;
        if (runAs is not null && !File.ReadLines("/etc/passwd").Any(line => line.StartsWith(ServiceAccount + ":", StringComparison.Ordinal)))
        {
            throw new InfrastructureException(
                "PostgreSQL cannot run as root and there is no 'postgres' user: install the 'postgresql' package, which creates it, or run the AppHost as a non-root user.");
        }

        return new PostgresInstallation(binDirectory, runAs);
    }

    private static string? NewestDebianBinDirectory()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }

        return Directory.GetDirectories(root)
            .Select(directory => (Directory: directory, Version: int.TryParse(Path.GetFileName(directory), out var version) ? version : -1))
            .Where(candidate => candidate.Version >= 0)
            .OrderByDescending(candidate => candidate.Version)
            .Select(candidate => Path.Combine(candidate.Directory, "bin"))
            .FirstOrDefault();
    }
}
