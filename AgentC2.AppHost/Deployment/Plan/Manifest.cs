using System.Text.Json;

namespace AgentC2.AppHost.Deployment.Plan;

/// <summary>The parts of <c>aspire-manifest.json</c> the deployment artifacts are built from.</summary>
internal sealed class Manifest
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Dictionary<string, ManifestResource> Resources { get; set; } = [];

    public static async Task<Manifest> ReadAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync<Manifest>(stream, Json, cancellationToken)
            ?? throw new InvalidDataException($"{path} is empty");
    }

    public ManifestResource this[string name] => Resources.TryGetValue(name, out var resource)
        ? resource
        : throw new InvalidDataException($"the manifest has no resource '{name}'");
}

internal sealed class ManifestResource
{
    public string Type { get; set; } = "";

    public string? ConnectionString { get; set; }

    public string? Image { get; set; }

    public string? Entrypoint { get; set; }

    public List<string> Args { get; set; } = [];

    public List<ManifestVolume> Volumes { get; set; } = [];

    public Dictionary<string, string> Env { get; set; } = [];

    public Dictionary<string, ManifestBinding> Bindings { get; set; } = [];

    /// <summary>Project path, relative to the manifest's folder.</summary>
    public string? Path { get; set; }

    public Dictionary<string, ManifestInput> Inputs { get; set; } = [];

    public bool IsProject => Type.StartsWith("project.", StringComparison.Ordinal);

    public bool IsContainer => Type.StartsWith("container.", StringComparison.Ordinal);

    public bool IsParameter => Type.StartsWith("parameter.", StringComparison.Ordinal);
}

internal sealed class ManifestVolume
{
    public string Name { get; set; } = "";

    public string Target { get; set; } = "";

    public bool ReadOnly { get; set; }
}

internal sealed class ManifestBinding
{
    public string Scheme { get; set; } = "";

    public int? TargetPort { get; set; }

    public bool External { get; set; }
}

internal sealed class ManifestInput
{
    public bool Secret { get; set; }

    public ManifestInputDefault? Default { get; set; }
}

internal sealed class ManifestInputDefault
{
    public JsonElement? Generate { get; set; }

    public string? Value { get; set; }
}
