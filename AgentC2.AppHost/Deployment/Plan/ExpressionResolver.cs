using System.Text.RegularExpressions;

namespace AgentC2.AppHost.Deployment.Plan;

/// <summary>
/// Turns the manifest's value expressions (<c>{postgres.bindings.tcp.host}</c>, <c>{redis.connectionString}</c>,
/// <c>{operator-api-key.value}</c> …) into <see cref="EnvValue"/> parts for a network where every service is
/// reachable by its name. An expression it does not understand stops the publish rather than emit a wrong artifact.
/// </summary>
internal sealed partial class ExpressionResolver(Manifest manifest, Func<string, Variable> variableOf)
{
    public EnvValue Resolve(string template)
    {
        var parts = new List<ValuePart>();
        var backing = false;
        var position = 0;
        foreach (Match match in Expression().Matches(template))
        {
            Append(parts, template[position..match.Index]);
            var resolved = ResolveExpression(match.Groups[1].Value);
            parts.AddRange(resolved.Parts);
            backing |= resolved.ReferencesBackingService;
            position = match.Index + match.Length;
        }

        Append(parts, template[position..]);
        return new EnvValue(Merge(parts), backing);
    }

    /// <summary>Whether the template points at an HTTPS endpoint of a project (TLS ends at the edge, so such values are not deployed).</summary>
    public bool ReferencesProjectHttps(string template) =>
        Expression().Matches(template).Any(match => match.Groups[1].Value.Split('.') is [var name, "bindings", var binding, _]
            && manifest[name].IsProject && manifest[name].Bindings.TryGetValue(binding, out var b) && b.Scheme == "https");

    private EnvValue ResolveExpression(string expression)
    {
        var path = expression.Split('.');
        var resource = manifest[path[0]];
        switch (path[1..])
        {
            case ["connectionString"] when resource.ConnectionString is { } connectionString:
                var inner = Resolve(connectionString);
                return inner with { ReferencesBackingService = inner.ReferencesBackingService || resource.IsContainer };
            case ["value"] when resource.IsParameter:
                return new EnvValue([new VariablePart(variableOf(path[0]))], false);
            case ["bindings", var name, var property] when resource.Bindings.TryGetValue(name, out var binding):
                var port = resource.IsProject ? ServicePaths.ContainerPort : binding.TargetPort
                    ?? throw new InvalidDataException($"{path[0]}'s binding {name} has no target port");
                ValuePart part = property switch
                {
                    "host" => new TextPart(path[0]),
                    "port" or "targetPort" => new TextPart(port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    "scheme" => new TextPart(binding.Scheme),
                    "url" when resource.IsProject => new ServiceUrlPart(path[0], port),
                    "url" => new TextPart($"{binding.Scheme}://{path[0]}:{port}"),
                    _ => throw Unsupported(expression),
                };
                return new EnvValue([part], resource.IsContainer);
            default:
                throw Unsupported(expression);
        }
    }

    private static InvalidDataException Unsupported(string expression) =>
        new($"the deployment artifacts cannot express '{{{expression}}}'; reference connection strings, endpoints or parameters instead");

    private static void Append(List<ValuePart> parts, string text)
    {
        if (text.Length > 0)
        {
            parts.Add(new TextPart(text));
        }
    }

    private static List<ValuePart> Merge(List<ValuePart> parts)
    {
        var merged = new List<ValuePart>();
        foreach (var part in parts)
        {
            if (part is TextPart next && merged.Count > 0 && merged[^1] is TextPart previous)
            {
                merged[^1] = new TextPart(previous.Text + next.Text);
            }
            else if (part is not TextPart { Text.Length: 0 })
            {
                merged.Add(part);
            }
        }

        return merged;
    }

    [GeneratedRegex(@"\{([A-Za-z0-9_.-]+)\}")]
    private static partial Regex Expression();
}
