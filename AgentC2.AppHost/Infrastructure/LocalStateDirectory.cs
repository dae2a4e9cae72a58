using Aspire.Hosting;
using Microsoft.Extensions.Configuration;

namespace AgentC2.AppHost.Infrastructure;

/// <summary>
/// Where local-mode PostgreSQL and Redis keep their data. It survives AppHost restarts; deleting
/// it (see README, "Reset local data") gives a fresh database and cache on the next start.
/// </summary>
internal static class LocalStateDirectory
{
    /// <summary>Overrides the default <c>AgentC2.AppHost/.state</c> folder (tests use a temporary one).</summary>
    public const string ConfigurationKey = "AgentC2:StateDirectory";

    public static string Resolve(IDistributedApplicationBuilder builder)
    {
        var configured = builder.Configuration[ConfigurationKey];
        var root = string.IsNullOrWhiteSpace(configured)
            ? Path.Combine(builder.AppHostDirectory, ".state")
            : Path.GetFullPath(configured, builder.AppHostDirectory);
        Directory.CreateDirectory(root);

        // The PostgreSQL server runs as an unprivileged user when the AppHost runs as root, and must
        // be able to reach its data folder below this one.
        UnixPermissions.Set(root, UnixPermissions.WorldReadableExecutable);

        return root;
    }
}
