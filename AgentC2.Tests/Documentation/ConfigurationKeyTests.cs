extern alias AgentService;
extern alias ServiceDefaults;
extern alias WorkerService;
using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Documentation;

/// <summary>
/// Every configuration key the docs, the README, the alert rules' runbook lines and the dashboards name is one the
/// services read: a section constant of an options class followed by its properties (dictionaries take any name,
/// lists any index), or a key a service reads by itself (a constant holding the key).
/// </summary>
public sealed partial class ConfigurationKeyTests
{
    private static readonly Assembly[] Services =
    [
        typeof(AgentService::AgentC2.Agent.Models.ModelOptions).Assembly,
        typeof(WorkerService::AgentC2.Worker.Queue.QueueOptions).Assembly,
        typeof(ServiceDefaults::AgentC2.InternalApi).Assembly,
        typeof(AgentC2.AppHost.Deployment.DeploymentOptions).Assembly,
    ];

    private static readonly string[] Documents = ["README.md", "docs", "deploy/prometheus", "deploy/grafana", "AgentC2.AppHost/Deployment"];

    [Fact]
    public void Every_configuration_key_a_document_names_exists()
    {
        var unknown = DocumentedKeys()
            .Where(named => !Resolves(named.Key))
            .Select(named => $"{named.Key} (in {named.File})")
            .Distinct()
            .ToList();

        Assert.True(unknown.Count == 0, "Keys no service reads:\n" + string.Join("\n", unknown));
    }

    [Theory]
    [InlineData("AgentC2:Mcp:MaxClients")]
    [InlineData("AgentC2:Worker:MaxConcurrentRuns")]
    [InlineData("AgentC2:Queue:Organizations:acme:MaxRunnning")]
    [InlineData("AgentC2:Nowhere")]
    public void A_key_no_options_class_has_is_refused(string key) => Assert.False(Resolves(key));

    [Theory]
    [InlineData("AgentC2:Queue:Organizations:{slug}:MaxRunning")]
    [InlineData("AgentC2:Mcp:Catalog:samples:Args:0")]
    [InlineData("AgentC2:Models:Tiers:standard:Endpoint")]
    [InlineData("AgentC2:Webhooks:*")]
    [InlineData("AgentC2:Internal:ApiKey")]
    public void A_key_of_an_options_class_or_read_directly_resolves(string key) => Assert.True(Resolves(key));

    private static IEnumerable<(string Key, string File)> DocumentedKeys()
    {
        foreach (var entry in Documents.Select(d => Path.Combine(Repository.Root, d)))
        {
            var files = Directory.Exists(entry)
                ? Directory.EnumerateFiles(entry, "*", SearchOption.AllDirectories).Where(f => f.EndsWith(".md") || f.EndsWith(".yml") || f.EndsWith(".json") || f.EndsWith(".cs"))
                : [entry];
            foreach (var file in files)
            {
                foreach (Match match in KeyPattern().Matches(File.ReadAllText(file)))
                {
                    yield return (match.Value.Replace("__", ":").TrimEnd('.', ':', ','), Path.GetRelativePath(Repository.Root, file));
                }
            }
        }
    }

    private static bool Resolves(string key)
    {
        var segments = key.Split(':');
        if (DirectKeys.Value.Contains(key))
        {
            return true;
        }

        foreach (var (section, type) in Sections.Value.OrderByDescending(s => s.Key.Length))
        {
            if (key.Equals(section, StringComparison.OrdinalIgnoreCase) || key.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase))
            {
                return Walk(type, segments.Skip(section.Split(':').Length).ToArray());
            }
        }

        return false;
    }

    private static bool Walk(Type type, string[] path)
    {
        if (path.Length == 0 || IsWildcard(path[0]) && path.Length == 1)
        {
            return true;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            return Walk(type.GetGenericArguments()[1], path[1..]);
        }

        if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type))
        {
            var element = type.IsArray ? type.GetElementType()! : type.GetGenericArguments()[0];
            return (int.TryParse(path[0], out _) || IsPlaceholder(path[0])) && Walk(element, path[1..]);
        }

        var property = type.GetProperty(path[0], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
        return property is not null && Walk(Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType, path[1..]);
    }

    private static bool IsWildcard(string segment) => segment is "*" or "…" || segment.EndsWith('*');

    private static bool IsPlaceholder(string segment) => segment.StartsWith('{') || IsWildcard(segment);

    // Options classes name their section in a "Section" constant; a key a service reads by itself is a constant too.
    private static readonly Lazy<Dictionary<string, Type>> Sections = new(() => Constants()
        .Where(c => c.Field.Name == "Section")
        .ToDictionary(c => c.Value, c => c.Field.DeclaringType!, StringComparer.OrdinalIgnoreCase));

    private static readonly Lazy<HashSet<string>> DirectKeys = new(() => Constants()
        .Where(c => c.Field.Name != "Section")
        .Select(c => c.Value)
        .ToHashSet(StringComparer.OrdinalIgnoreCase));

    private static IEnumerable<(FieldInfo Field, string Value)> Constants() =>
        from assembly in Services
        from type in assembly.GetTypes()
        from field in type.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
        where field.IsLiteral && field.FieldType == typeof(string)
        let value = (string)field.GetRawConstantValue()!
        where value.StartsWith("AgentC2:", StringComparison.Ordinal) && !value.Contains(' ')
        select (field, value);

    [GeneratedRegex(@"AgentC2(?::|__)[A-Za-z0-9_:{}*…]+")]
    private static partial Regex KeyPattern();
}
