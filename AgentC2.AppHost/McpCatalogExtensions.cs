using System.Reflection;
using Aspire.Hosting.ApplicationModel;

namespace AgentC2.AppHost;

internal static class McpCatalogExtensions
{
    public const string SampleServer = "samples";

    /// <summary>
    /// In run mode, offers the sample MCP server (samples/AgentC2.McpSample, built with the AppHost) in the agent's
    /// catalog as <c>samples</c>; the demo organization enables it. A deployment configures its own catalog
    /// (<c>AgentC2__Mcp__Catalog__{name}__Command</c>, <c>__Args__N</c>) with servers its agent image contains.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithSampleMcpServer(this IResourceBuilder<ProjectResource> agent)
    {
        if (!agent.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            return agent;
        }

        var project = new Projects.AgentC2_McpSample();
        var configuration = typeof(McpCatalogExtensions).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var assembly = Path.Combine(Path.GetDirectoryName(project.ProjectPath)!, "bin", configuration, "net10.0", "AgentC2.McpSample.dll");
        return agent
            .WithEnvironment($"AgentC2__Mcp__Catalog__{SampleServer}__Command", "dotnet")
            .WithEnvironment($"AgentC2__Mcp__Catalog__{SampleServer}__Args__0", assembly)
            .WithEnvironment($"AgentC2__Mcp__Catalog__{SampleServer}__Description", "Sample tools: echo, add, slow, crash, pid");
    }
}
