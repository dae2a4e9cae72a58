namespace AgentC2.Agent.Tenancy;

/// <summary>Bound from <c>AgentC2:Tenancy</c>.</summary>
internal sealed class TenancyOptions
{
    public const string Section = "AgentC2:Tenancy";

    /// <summary>Guards the operator API (organizations, API keys). Unset: the operator API answers 401 to everyone.</summary>
    public string? OperatorApiKey { get; set; }

    /// <summary>When set, a demo organization (slug <see cref="DemoOrganizationSlug"/>) with this API key is created at start-up.</summary>
    public string? DemoApiKey { get; set; }

    public string DemoOrganizationSlug { get; set; } = "demo";

    /// <summary>How long an instance trusts what it learnt about an API key (see <see cref="CallerCache"/>); zero turns the cache off.</summary>
    public TimeSpan ApiKeyCacheDuration { get; set; } = TimeSpan.FromSeconds(30);
}
