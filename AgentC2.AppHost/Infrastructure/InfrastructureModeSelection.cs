using Microsoft.Extensions.Configuration;

namespace AgentC2.AppHost.Infrastructure;

/// <summary>Chooses the <see cref="InfrastructureMode"/> from configuration and the container runtime.</summary>
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
