using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace AgentC2.AppHost.Deployment.GitHub;

// A GitHub Actions workflow, as far as the deploy workflow uses it. Keys are written in snake_case
// except where GitHub spells them otherwise.

internal sealed class Workflow
{
    public string Name { get; set; } = "";

    public WorkflowTriggers On { get; set; } = new();

    public Dictionary<string, string> Permissions { get; set; } = [];

    public WorkflowConcurrency? Concurrency { get; set; }

    public Dictionary<string, string> Env { get; set; } = [];

    public Dictionary<string, WorkflowJob> Jobs { get; set; } = [];
}

internal sealed class WorkflowTriggers
{
    public WorkflowRunTrigger? WorkflowRun { get; set; }

    public WorkflowDispatch? WorkflowDispatch { get; set; }
}

internal sealed class WorkflowRunTrigger
{
    public List<string> Workflows { get; set; } = [];

    public List<string> Types { get; set; } = [];

    public List<string> Branches { get; set; } = [];
}

internal sealed class WorkflowDispatch
{
    public Dictionary<string, WorkflowInput> Inputs { get; set; } = [];
}

internal sealed class WorkflowInput
{
    public string Description { get; set; } = "";

    public string Type { get; set; } = "choice";

    public bool Required { get; set; }

    public List<string> Options { get; set; } = [];
}

internal sealed class WorkflowConcurrency
{
    public string Group { get; set; } = "";

    [YamlMember(Alias = "cancel-in-progress", ApplyNamingConventions = false)]
    public bool CancelInProgress { get; set; }
}

internal sealed class WorkflowJob
{
    public string? Name { get; set; }

    [YamlMember(Alias = "runs-on", ApplyNamingConventions = false)]
    public string RunsOn { get; set; } = "ubuntu-24.04";

    public List<string> Needs { get; set; } = [];

    public string? If { get; set; }

    [YamlMember(Alias = "timeout-minutes", ApplyNamingConventions = false)]
    public int TimeoutMinutes { get; set; } = 30;

    public Dictionary<string, string> Permissions { get; set; } = [];

    public string? Environment { get; set; }

    public WorkflowStrategy? Strategy { get; set; }

    public Dictionary<string, string> Env { get; set; } = [];

    public List<WorkflowStep> Steps { get; set; } = [];
}

internal sealed class WorkflowStrategy
{
    [YamlMember(Alias = "fail-fast", ApplyNamingConventions = false)]
    public bool FailFast { get; set; }

    public WorkflowMatrix Matrix { get; set; } = new();
}

internal sealed class WorkflowMatrix
{
    public List<Dictionary<string, string>> Include { get; set; } = [];
}

internal sealed class WorkflowStep
{
    public string Name { get; set; } = "";

    public string? Uses { get; set; }

    public Dictionary<string, string> With { get; set; } = [];

    public Dictionary<string, string> Env { get; set; } = [];

    [YamlMember(ScalarStyle = ScalarStyle.Literal)]
    public string? Run { get; set; }
}
