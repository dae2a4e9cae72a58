namespace AgentC2.Tests.Fixtures;

/// <summary>Paths in the repository under test and in its build output.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration the tests run under (Debug or Release).</summary>
    public static string Configuration { get; } = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    public static string ServiceAssembly(string project) =>
        Path.Combine(Root, project, "bin", Configuration, "net10.0", project + ".dll");

    /// <summary>The AppHost as built next to the tests.</summary>
    public static string AppHostAssembly => Path.Combine(AppContext.BaseDirectory, "AgentC2.AppHost.dll");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AgentC2.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The tests must run from inside the AgentC2 repository.");
    }
}
