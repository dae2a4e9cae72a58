using System.ComponentModel.DataAnnotations;

namespace AgentC2.Agent.RateLimiting;

/// <summary>Bound from <c>AgentC2:RateLimiting</c>. Fixed windows, counted in Redis so every replica shares them.</summary>
internal sealed class RateLimitOptions
{
    public const string Section = "AgentC2:RateLimiting";

    /// <summary>Requests per window for a whole organization (all its keys together).</summary>
    [Required]
    public WindowLimit Organization { get; set; } = new() { PermitLimit = 1_200, Window = TimeSpan.FromMinutes(1) };

    /// <summary>Requests per window for one API key.</summary>
    [Required]
    public WindowLimit ApiKey { get; set; } = new() { PermitLimit = 600, Window = TimeSpan.FromMinutes(1) };

    /// <summary>Requests per window per client address that present no valid key (guards key guessing).</summary>
    [Required]
    public WindowLimit Anonymous { get; set; } = new() { PermitLimit = 120, Window = TimeSpan.FromMinutes(1) };

    /// <summary>Per-organization overrides of <see cref="Organization"/>, by organization slug.</summary>
    public Dictionary<string, WindowLimit> Organizations { get; set; } = new(StringComparer.Ordinal);

    public WindowLimit ForOrganization(string slug) => Organizations.GetValueOrDefault(slug) ?? Organization;
}

internal sealed class WindowLimit
{
    [Range(1, 10_000_000)]
    public int PermitLimit { get; set; }

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; }

    public override string ToString() => $"{PermitLimit}/{Window.TotalSeconds}s";
}
