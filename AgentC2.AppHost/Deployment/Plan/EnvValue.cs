namespace AgentC2.AppHost.Deployment.Plan;

internal abstract record ValuePart;

internal sealed record TextPart(string Text) : ValuePart;

/// <summary>A value the operator supplies (<see cref="Variable"/>).</summary>
internal sealed record VariablePart(Variable Variable) : ValuePart;

/// <summary>The private URL of another AgentC2 service (<c>http://agent:8080</c> where service names resolve).</summary>
internal sealed record ServiceUrlPart(string Service, int Port) : ValuePart
{
    public string Url => $"http://{Service}:{Port}";
}

/// <summary>An environment value as parts, and whether it points at a backing service (then it is a connection string).</summary>
internal sealed record EnvValue(IReadOnlyList<ValuePart> Parts, bool ReferencesBackingService)
{
    public static EnvValue Literal(string text) => new([new TextPart(text)], false);

    /// <summary>
    /// Whether a platform without the deployment's own backing services takes the value from its secret store: a
    /// connection string, a secret, or a setting the operator supplies at deploy time (one with no published default).
    /// </summary>
    public bool IsDeployTime => ReferencesBackingService || Parts.OfType<VariablePart>().Any(part => part.Variable.Secret || part.Variable.Default != VariableDefault.Published);

    public IEnumerable<Variable> Variables => Parts.OfType<VariablePart>().Select(part => part.Variable);

    /// <summary>
    /// The value with variables at their published defaults; a variable only known at deploy time is written by
    /// <paramref name="deployTime"/> (by default, that is an error).
    /// </summary>
    public string Render(Func<ServiceUrlPart, string> serviceUrl, Func<Variable, string>? deployTime = null) => string.Concat(Parts.Select(part => part switch
    {
        TextPart text => text.Text,
        ServiceUrlPart url => serviceUrl(url),
        VariablePart { Variable: { Default: VariableDefault.Published, Example: { } value } } => value,
        VariablePart variable when deployTime is not null => deployTime(variable.Variable),
        VariablePart variable => throw new InvalidOperationException($"{variable.Variable.Name} is only known at deploy time"),
        _ => throw new InvalidOperationException($"unknown value part {part}"),
    }));
}
