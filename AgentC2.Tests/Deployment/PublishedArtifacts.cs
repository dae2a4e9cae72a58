using System.Diagnostics;
using AgentC2.Tests.Fixtures;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace AgentC2.Tests.Deployment;

/// <summary>
/// Runs the publish command once (<c>--operation publish --step publish</c>) into a temporary folder, with every
/// secret parameter set to a marker value, and offers the artifacts to the tests of the collection.
/// </summary>
public sealed class PublishedArtifacts : IAsyncLifetime
{
    /// <summary>Secret values given to the publish; none may appear in an artifact.</summary>
    public static readonly IReadOnlyDictionary<string, string> SecretMarkers = new Dictionary<string, string>
    {
        ["operator-api-key"] = "marker-operator-" + Guid.NewGuid().ToString("N"),
        ["internal-api-key"] = "marker-internal-" + Guid.NewGuid().ToString("N"),
        ["model-api-key"] = "marker-model-" + Guid.NewGuid().ToString("N"),
        ["postgres-password"] = "marker-postgres-" + Guid.NewGuid().ToString("N"),
        ["redis-password"] = "marker-redis-" + Guid.NewGuid().ToString("N"),
    };

    public static readonly string[] AppServices = [ResourceNames.Agent, ResourceNames.Worker, ResourceNames.Frontend];

    private readonly DirectoryInfo _output = Directory.CreateTempSubdirectory("agentc2-publish-");

    public string Output => _output.FullName;

    internal ProcessOutcome Outcome { get; private set; } = null!;

    public TimeSpan Duration { get; private set; }

    /// <summary>Every file the publish wrote, relative to the output folder, with '/' separators.</summary>
    public IReadOnlyList<string> Files => [.. Directory.EnumerateFiles(Output, "*", SearchOption.AllDirectories)
        .Select(path => Path.GetRelativePath(Output, path).Replace('\\', '/')).Order(StringComparer.Ordinal)];

    public async Task InitializeAsync()
    {
        var watch = Stopwatch.StartNew();
        Outcome = await PublishAsync(Output, SecretMarkers.ToDictionary(m => $"Parameters__{m.Key}", m => (string?)m.Value));
        Duration = watch.Elapsed;
        Assert.True(Outcome.ExitCode == 0, $"publishing failed ({Outcome.ExitCode}): {Outcome.StandardOutput}{Outcome.StandardError}");
    }

    public string Text(string file) => File.ReadAllText(Path.Combine(Output, file));

    /// <summary>The YAML documents of a file, as nested dictionaries and lists of strings.</summary>
    public IReadOnlyList<Dictionary<object, object>> Yaml(string file) => YamlDocuments.Parse(Text(file));

    public Dictionary<object, object> YamlDocument(string file) => Assert.Single(Yaml(file));

    internal static Task<ProcessOutcome> PublishAsync(string output, IReadOnlyDictionary<string, string?>? environment = null, params string[] arguments) =>
        DotnetProcess.RunAsync(Repository.AppHostAssembly,
            ["--operation", "publish", "--step", "publish", "--output-path", output, .. arguments], environment, TimeSpan.FromSeconds(90));

    public Task DisposeAsync()
    {
        _output.Delete(recursive: true);
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class PublishedArtifactsCollection : ICollectionFixture<PublishedArtifacts>
{
    public const string Name = "Published deployment artifacts";
}

/// <summary>Reads YAML (all documents of a stream) into dictionaries, lists and strings, and walks them by key.</summary>
internal static class YamlDocuments
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder().Build();

    public static IReadOnlyList<Dictionary<object, object>> Parse(string text)
    {
        var parser = new Parser(new StringReader(text));
        parser.Consume<StreamStart>();
        var documents = new List<Dictionary<object, object>>();
        while (parser.Accept<DocumentStart>(out _))
        {
            documents.Add(Deserializer.Deserialize<Dictionary<object, object>>(parser));
        }

        return documents;
    }

    /// <summary>The node at <paramref name="path"/> (keys of maps, or indexes of lists), or null.</summary>
    public static object? At(this object? node, params object[] path)
    {
        foreach (var step in path)
        {
            node = (node, step) switch
            {
                (Dictionary<object, object> map, string key) => map.GetValueOrDefault(key),
                (List<object> list, int index) when index < list.Count => list[index],
                _ => null,
            };
        }

        return node;
    }

    public static string? Str(this object? node, params object[] path) => node.At(path) as string;

    public static Dictionary<object, object> Map(this object? node, params object[] path) =>
        node.At(path) as Dictionary<object, object> ?? throw new Xunit.Sdk.XunitException($"no map at {string.Join('.', path)}");

    public static List<object> List(this object? node, params object[] path) =>
        node.At(path) as List<object> ?? throw new Xunit.Sdk.XunitException($"no list at {string.Join('.', path)}");

    public static IEnumerable<string> Strings(this object? node, params object[] path) => node.List(path).Cast<string>();
}
