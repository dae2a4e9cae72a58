using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.EventEmitters;
using YamlDotNet.Serialization.NamingConventions;

namespace AgentC2.AppHost.Deployment;

/// <summary>YAML output of the typed documents: members in declaration order, nulls and empty collections left out.</summary>
internal static class Yaml
{
    /// <summary>Compose and App Platform spell keys in snake_case.</summary>
    public static ISerializer SnakeCase { get; } = Create(UnderscoredNamingConvention.Instance);

    /// <summary>Kubernetes spells keys in camelCase.</summary>
    public static ISerializer CamelCase { get; } = Create(CamelCaseNamingConvention.Instance);

    public static string Document(ISerializer serializer, string header, object document) =>
        Documents(serializer, header, [document]);

    /// <summary>Every document starts with <c>---</c>, after the header comment.</summary>
    public static string Documents(ISerializer serializer, string header, IEnumerable<object> documents) =>
        Header(header) + string.Concat(documents.Select(document => "---\n" + serializer.Serialize(document)));

    public static string Header(string text) =>
        string.Concat(text.Split('\n').Select(line => line.Length == 0 ? "#\n" : $"# {line}\n"));

    // Strings YAML 1.1 readers would take for something else (on, off, yes, no, numbers) are quoted too:
    // Compose, kubectl and doctl parse YAML 1.1.
    private static ISerializer Create(INamingConvention naming) => new SerializerBuilder()
        .WithQuotingNecessaryStrings(quoteYaml1_1Strings: true)
        .WithNamingConvention(naming)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull | DefaultValuesHandling.OmitEmptyCollections)
        .WithIndentedSequences()
        .WithEventEmitter(next => new LiteralMultilineStrings(next))
        .DisableAliases()
        .WithNewLine("\n")
        .Build();
}

/// <summary>Multi-line strings (files embedded in a ConfigMap, scripts) as literal blocks (<c>|</c>), as people write them.</summary>
internal sealed class LiteralMultilineStrings(IEventEmitter next) : ChainedEventEmitter(next)
{
    public override void Emit(ScalarEventInfo eventInfo, IEmitter emitter)
    {
        if (eventInfo.Source.Value is string text && text.Contains('\n', StringComparison.Ordinal))
        {
            eventInfo.Style = ScalarStyle.Literal;
        }

        base.Emit(eventInfo, emitter);
    }
}
