using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace AgentC2.AppHost.Infrastructure;

/// <summary>How the AppHost provides PostgreSQL and Redis.</summary>
public enum InfrastructureMode
{
    /// <summary><c>AddPostgres</c>/<c>AddRedis</c> containers (publish mode, or run mode with a container runtime).</summary>
    Containers,

    /// <summary><c>postgres</c> and <c>redis-server</c> as local processes with state under the AppHost's state folder.</summary>
    Local,
}

public static class InfrastructureModeSelection
{
    /// <summary><c>auto</c> (default), <c>containers</c> or <c>local</c>.</summary>
    public const string ConfigurationKey = "AgentC2:Infrastructure";

    /// <summary>
    /// Publish mode always describes containers, so the manifest is deployable. In run mode the
    /// configured value wins; <c>auto</c> uses containers only when a container runtime answers.
    /// </summary>
    public static InfrastructureMode Select(IConfiguration configuration, bool isPublishMode, Func<bool>? containerRuntimeAnswers = null)
    {
        if (isPublishMode)
        {
            return InfrastructureMode.Containers;
        }

        containerRuntimeAnswers ??= ContainerRuntimeProbe.Answers;
        var value = configuration[ConfigurationKey];
        switch (value?.Trim().ToLowerInvariant())
        {
            case null or "" or "auto":
                return containerRuntimeAnswers() ? InfrastructureMode.Containers : InfrastructureMode.Local;
            case "local":
                return InfrastructureMode.Local;
            case "containers":
                return containerRuntimeAnswers()
                    ? InfrastructureMode.Containers
                    : throw new InfrastructureException(
                        $"{ConfigurationKey} is 'containers' but no container runtime answered 'docker info' or 'podman info': start Docker or Podman, or set {ConfigurationKey}=local.");
            default:
                throw new InfrastructureException(
                    $"{ConfigurationKey} must be 'auto', 'containers' or 'local', not '{value}'.");
        }
    }
}

/// <summary>Asks the container runtime Aspire would use whether its engine answers.</summary>
internal static class ContainerRuntimeProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static bool Answers()
    {
        var configured = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME") ?? Environment.GetEnvironmentVariable("DOTNET_ASPIRE_CONTAINER_RUNTIME");
        string[] runtimes = string.IsNullOrWhiteSpace(configured) ? ["docker", "podman"] : [configured];
        return runtimes.Any(EngineAnswers);
    }

    private static bool EngineAnswers(string runtime)
    {
        if (ExecutableLookup.FindOnPath(runtime) is not { } path)
        {
            return false;
        }

        try
        {
            using var process = Process.Start(new ProcessStartInfo(path, "info")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }

            process.StandardOutput.ReadToEndAsync();
            process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
