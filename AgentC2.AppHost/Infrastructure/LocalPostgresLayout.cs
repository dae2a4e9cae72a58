using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace AgentC2.AppHost.Infrastructure;

/// <summary>The files of a local PostgreSQL server below the AppHost's state folder.</summary>
internal sealed class LocalPostgresLayout
{
    private LocalPostgresLayout(string root, string passwordFile, string? owner)
    {
        Root = root;
        PasswordFile = passwordFile;
        Owner = owner;
    }

    public string Root { get; }

    public string DataDirectory => Path.Combine(Root, "data");

    public string SocketDirectory => Path.Combine(Root, "run");

    public string LauncherScript => Path.Combine(Root, "run-postgres.sh");

    private string PasswordFile { get; }

    private string? Owner { get; }

    public static LocalPostgresLayout Prepare(string stateDirectory, PostgresInstallation installation)
    {
        var layout = new LocalPostgresLayout(DataRoot(stateDirectory, installation), Path.Combine(stateDirectory, "postgres.password"), installation.RunAsUser);
        Directory.CreateDirectory(layout.SocketDirectory);
        File.WriteAllText(layout.LauncherScript, LauncherScriptText.Value);
        UnixPermissions.Set(layout.LauncherScript, UnixPermissions.WorldReadableExecutable);
        return layout;
    }

    /// <summary>
    /// <c>&lt;state&gt;/postgres</c>, unless the server's account cannot reach the state folder (a checkout
    /// inside a private home or temporary folder): then a folder under <c>/var/tmp/agentc2</c>, whose
    /// path is remembered in the state folder, so data persists and deleting the state folder resets it.
    /// </summary>
    private static string DataRoot(string stateDirectory, PostgresInstallation installation)
    {
        var preferred = Path.Combine(stateDirectory, "postgres");
        if (installation.RunAsUser is null || installation.CanReach(stateDirectory))
        {
            return preferred;
        }

        var pointer = Path.Combine(stateDirectory, "postgres.location");
        if (File.Exists(pointer) && File.ReadAllText(pointer).Trim() is { Length: > 0 } remembered)
        {
            return remembered;
        }

        var shared = Directory.CreateDirectory("/var/tmp/agentc2");
        UnixPermissions.Set(shared.FullName, UnixPermissions.WorldReadableExecutable);
        var root = Path.Combine(shared.FullName, $"postgres-{Guid.NewGuid():N}");
        File.WriteAllText(pointer, root);
        return root;
    }

    /// <summary>The superuser password: generated once, kept beside (not inside) the data folder, readable by the AppHost's user only.</summary>
    public string ReadOrCreatePassword()
    {
        if (File.Exists(PasswordFile))
        {
            return File.ReadAllText(PasswordFile).Trim();
        }

        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        File.WriteAllText(PasswordFile, password);
        UnixPermissions.Set(PasswordFile, UnixPermissions.OwnerOnly);
        return password;
    }

    public async Task InitializeDataDirectoryAsync(PostgresInstallation installation, string password, ILogger logger, CancellationToken cancellationToken)
    {
        await ChownAsync(cancellationToken).ConfigureAwait(false);
        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            return;
        }

        InfrastructureLog.InitializingDataDirectory(logger, DataDirectory);
        var passwordFile = Path.Combine(Root, ".initdb-password");
        await File.WriteAllTextAsync(passwordFile, password, cancellationToken).ConfigureAwait(false);
        try
        {
            await ChownAsync(cancellationToken).ConfigureAwait(false);
            var (command, arguments) = installation.Invocation(installation.Tool("initdb"),
                "-D", DataDirectory, "-U", LocalPostgresResource.UserName, "--pwfile", passwordFile,
                "--auth", "scram-sha-256", "--encoding", "UTF8", "--no-locale", "--no-instructions");
            var result = await ProcessRunner.RunAsync(command, arguments, cancellationToken).ConfigureAwait(false);
            InfrastructureLog.InitdbOutput(logger, result.Output);
            if (result.ExitCode != 0)
            {
                throw new InfrastructureException($"initdb failed with exit code {result.ExitCode}; its output is in this resource's console log.");
            }
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    /// <summary>
    /// A server left running by an AppHost that was killed holds the data folder's lock; stop it
    /// (fast shutdown) so this start can take the folder over.
    /// </summary>
    public async Task StopOrphanedServerAsync(ILogger logger, CancellationToken cancellationToken)
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) || !IsPostgres(pid))
        {
            return;
        }

        InfrastructureLog.StoppingOrphan(logger, pid, DataDirectory);
        await ProcessRunner.RunAsync("kill", ["-INT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], cancellationToken).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (IsPostgres(pid))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), timeout.Token).ConfigureAwait(false);
        }
    }

    private static bool IsPostgres(int pid)
    {
        var comm = $"/proc/{pid}/comm";
        return File.Exists(comm) && File.ReadAllText(comm).Trim().StartsWith("postgres", StringComparison.Ordinal);
    }

    private async Task ChownAsync(CancellationToken cancellationToken)
    {
        if (Owner is null)
        {
            return;
        }

        var result = await ProcessRunner.RunAsync("chown", ["-R", $"{Owner}:{Owner}", Root], cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InfrastructureException($"chown of {Root} to '{Owner}' failed: {result.Output.Trim()}");
        }
    }

    private static readonly Lazy<string> LauncherScriptText = new(() =>
    {
        using var stream = typeof(LocalPostgresLayout).Assembly.GetManifestResourceStream("AgentC2.AppHost.Infrastructure.run-postgres.sh")
            ?? throw new InvalidOperationException("The PostgreSQL launcher script is not embedded in the AppHost.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });
}
