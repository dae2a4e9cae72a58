using System.ComponentModel.DataAnnotations;
using AgentC2.Frontend.AgentApi;

namespace AgentC2.Frontend.Pages.Agents;

/// <summary>The fields of an agent as the create and edit forms post them (the API validates them again).</summary>
internal sealed class AgentForm
{
    public static readonly string[] ModelTiers = ["auto", "fast", "standard", "reasoning"];

    [Required, RegularExpression("^[a-z0-9][a-z0-9-]{0,63}$", ErrorMessage = "1–64 of a–z, 0–9 and '-', starting with a letter or digit.")]
    public string Slug { get; set; } = "";

    [Required, StringLength(200)]
    public string Name { get; set; } = "";

    [Required, StringLength(20_000)]
    public string Instructions { get; set; } = "You are a helpful assistant.";

    [Required]
    public string ModelTier { get; set; } = "auto";

    [Range(1, 1000)]
    [Display(Name = "Max steps")]
    public int MaxSteps { get; set; } = 10;

    [Display(Name = "Use the built-in 'think' tool")]
    public bool Think { get; set; } = true;

    /// <summary>Registered MCP server names, comma or space separated.</summary>
    [Display(Name = "MCP servers")]
    [StringLength(1_000)]
    public string? McpServers { get; set; }

    public static AgentForm From(AgentView agent) => new()
    {
        Slug = agent.Slug,
        Name = agent.Name,
        Instructions = agent.Instructions,
        ModelTier = agent.ModelTier,
        MaxSteps = agent.MaxSteps,
        Think = agent.Tools.Contains("think"),
        McpServers = string.Join(", ", agent.McpServers),
    };

    public AgentRequest ToRequest() => new(Slug.Trim(), Name.Trim(), Instructions, ModelTier, MaxSteps, Think ? ["think"] : [],
        (McpServers ?? "").Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
