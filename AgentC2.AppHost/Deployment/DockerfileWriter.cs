using System.Text;
using AgentC2.AppHost.Deployment.Plan;

namespace AgentC2.AppHost.Deployment;

/// <summary>
/// Writes each service's Dockerfile: SDK build stage with a restore layer cached on the project files and the
/// central package versions, then the ASP.NET runtime as the non-root <c>app</c> user with a HEALTHCHECK that runs
/// the service's own probe (the runtime image has no curl). The build context is the repository root.
/// </summary>
internal static class DockerfileWriter
{
    public const string SdkImage = "mcr.microsoft.com/dotnet/sdk:10.0";
    public const string RuntimeImage = "mcr.microsoft.com/dotnet/aspnet:10.0";

    /// <summary>
    /// The build reads these root files, but not global.json: it pins the SDK band the repository is developed with,
    /// while the SDK images carry the 1xx band.
    /// </summary>
    public static readonly string[] BuildFiles = ["Directory.Build.props", "Directory.Packages.props"];

    public static GeneratedFile Write(AppService app)
    {
        var project = app.Project;
        var probe = string.Join(", ", app.ProbeCommand.Select(part => $"\"{part}\""));
        var settings = app.Settings;
        var text = new StringBuilder();
        text.Append(Yaml.Header(
            $"AgentC2 {app.Name}. Build from the repository root: docker build -f {project.DockerfilePath} -t {app.ImageName} .\n"
            + "Generated from the AppHost by `aspire publish`; do not edit (docs/deployment.md)."));
        text.Append('\n');
        text.Append($"FROM {SdkImage} AS build\n");
        text.Append("WORKDIR /src\n");
        text.Append("# Restore on the project files and package versions alone, so this layer is reused until they change.\n");
        text.Append($"COPY {string.Join(' ', BuildFiles)} ./\n");
        foreach (var file in project.RestoreClosure)
        {
            text.Append($"COPY {file} {Path.GetDirectoryName(file)!.Replace('\\', '/')}/\n");
        }

        text.Append($"RUN dotnet restore {project.ProjectPath}\n");
        foreach (var file in project.RestoreClosure)
        {
            var directory = Path.GetDirectoryName(file)!.Replace('\\', '/');
            text.Append($"COPY {directory}/ {directory}/\n");
        }

        text.Append($"RUN dotnet publish {project.ProjectPath} --no-restore -c Release -o /app -p:UseAppHost=false\n");
        text.Append('\n');
        text.Append($"FROM {RuntimeImage} AS runtime\n");
        text.Append("WORKDIR /app\n");
        text.Append("COPY --from=build /app ./\n");
        text.Append($"# Metrics only on their own port, which nothing public routes to (docs/operations.md).\n");
        text.Append($"ENV ASPNETCORE_HTTP_PORTS={app.Port};{ServicePaths.MetricsPort} AgentC2__Metrics__Port={ServicePaths.MetricsPort}\n");
        text.Append($"EXPOSE {app.Port}\n");
        text.Append("# The non-root user of the .NET images (uid 1654).\n");
        text.Append("USER $APP_UID\n");
        text.Append($"HEALTHCHECK --interval=30s --timeout=5s --start-period={Units.Seconds(settings.StartPeriod)} --retries=3 CMD [{probe}]\n");
        text.Append($"ENTRYPOINT [\"dotnet\", \"{project.AssemblyName}.dll\"]\n");
        return new GeneratedFile(project.DockerfilePath, text.ToString());
    }
}
