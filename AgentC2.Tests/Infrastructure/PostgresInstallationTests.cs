using AgentC2.AppHost.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace AgentC2.Tests.Infrastructure;

public sealed class PostgresInstallationTests : IDisposable
{
    private readonly DirectoryInfo _private = Directory.CreateTempSubdirectory("agentc2-private-");
    private readonly DirectoryInfo _shared = Directory.CreateTempSubdirectory("agentc2-shared-");

    [Fact]
    public void As_root_the_server_account_is_checked_against_the_folder_it_must_enter()
    {
        var installation = PostgresInstallation.Locate(new ConfigurationBuilder().Build());
        UnixPermissions.Set(_private.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        UnixPermissions.Set(_shared.FullName, UnixPermissions.WorldReadableExecutable);
        Directory.CreateDirectory(Path.Combine(_private.FullName, "inner"));
        UnixPermissions.Set(Path.Combine(_private.FullName, "inner"), UnixPermissions.WorldReadableExecutable);

        Assert.True(installation.CanReach(_shared.FullName));
        if (installation.RunAsUser is null)
        {
            // Not root: the server runs as the current user, who owns both folders.
            Assert.True(installation.CanReach(_private.FullName));
            return;
        }

        Assert.False(installation.CanReach(_private.FullName));
        Assert.False(installation.CanReach(Path.Combine(_private.FullName, "inner")));
    }

    public void Dispose()
    {
        _private.Delete(recursive: true);
        _shared.Delete(recursive: true);
    }
}
