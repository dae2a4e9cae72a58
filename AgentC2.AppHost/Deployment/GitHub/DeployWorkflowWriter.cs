using System.Text;
using AgentC2.AppHost.Deployment.DigitalOcean;
using AgentC2.AppHost.Deployment.Plan;

namespace AgentC2.AppHost.Deployment.GitHub;

/// <summary>
/// Writes <c>.github/workflows/deploy-do.yml</c>: after CI passes on main (or by hand), build and push the services'
/// images tagged with the commit SHA, then roll them out with zero downtime — on Docker Swarm the whole generated stack
/// with <c>deploy/swarm/rollout.sh</c> (start-first, rollback on failure, configs and secrets versioned by content), or
/// on App Platform with <c>doctl apps update --spec</c> (health-checked rolling deploy). It is generated so that the services, their
/// Dockerfiles and the App Platform secrets it fills in always match the other artifacts.
/// </summary>
internal static class DeployWorkflowWriter
{
    public const string Path = ".github/workflows/deploy-do.yml";
    public const string CiWorkflowName = "ci";
    public const string Swarm = "swarm";
    public const string AppPlatform = "app-platform";

    /// <summary>Repository secrets the workflow reads beside the App Platform ones (<see cref="PlatformSecrets"/>).</summary>
    public static readonly string[] AccessSecrets = ["DIGITALOCEAN_ACCESS_TOKEN", "SWARM_SSH_KEY", "SWARM_SSH_KNOWN_HOSTS"];

    /// <summary>Repository variables the workflow reads.</summary>
    public static readonly string[] Variables = ["REGISTRY", "DEPLOY_TARGET", "DO_APP_ID", "SWARM_SSH_HOST", "DOMAIN", "REGION"];

    private const string Target = "(inputs.target || vars.DEPLOY_TARGET || 'app-platform')";
    private const string Tag = "${{ github.event.workflow_run.head_sha || github.sha }}";

    public static GeneratedFile Write(DeploymentPlan plan, IReadOnlyCollection<Variable> stackVariables)
    {
        var passed = "(github.event_name == 'workflow_dispatch' || github.event.workflow_run.conclusion == 'success')";
        var workflow = new Workflow
        {
            Name = "deploy",
            On = new WorkflowTriggers
            {
                WorkflowRun = new WorkflowRunTrigger { Workflows = [CiWorkflowName], Types = ["completed"], Branches = ["main"] },
                WorkflowDispatch = new WorkflowDispatch
                {
                    Inputs = new()
                    {
                        ["target"] = new WorkflowInput { Description = "Where to roll out (default: the DEPLOY_TARGET variable, else app-platform)", Options = [AppPlatform, Swarm] },
                    },
                },
            },
            Permissions = new() { ["contents"] = "read" },
            // One rollout at a time; a newer one waits rather than cancelling a rollout half-way.
            Concurrency = new WorkflowConcurrency { Group = "deploy-production", CancelInProgress = false },
            Env = new() { ["TAG"] = Tag, ["REGISTRY"] = "${{ vars.REGISTRY }}" },
            Jobs = new()
            {
                ["images"] = new WorkflowJob
                {
                    Name = "image ${{ matrix.service }}",
                    If = passed,
                    Strategy = new WorkflowStrategy
                    {
                        Matrix = new WorkflowMatrix { Include = [.. plan.Apps.Select(app => new Dictionary<string, string> { ["service"] = app.Name, ["dockerfile"] = app.Project.DockerfilePath })] },
                    },
                    Steps =
                    [
                        Checkout(),
                        InstallDoctl(),
                        new WorkflowStep { Name = "Log in to the registry", Run = "doctl registry login --expiry-seconds 1800\n" },
                        new WorkflowStep { Name = "Set up Buildx", Uses = "docker/setup-buildx-action@v3" },
                        new WorkflowStep
                        {
                            Name = "Build and push",
                            Uses = "docker/build-push-action@v6",
                            With = new()
                            {
                                ["context"] = ".",
                                ["file"] = "${{ matrix.dockerfile }}",
                                ["push"] = "true",
                                ["tags"] = "${{ vars.REGISTRY }}/agentc2-${{ matrix.service }}:" + Tag,
                                ["cache-from"] = "type=gha,scope=${{ matrix.service }}",
                                ["cache-to"] = "type=gha,mode=max,scope=${{ matrix.service }}",
                            },
                        },
                    ],
                },
                [Swarm] = new WorkflowJob
                {
                    Name = "roll out on Docker Swarm",
                    Needs = ["images"],
                    If = $"{Target} == '{Swarm}'",
                    Environment = "production",
                    Env = new() { ["DOCKER_HOST"] = "ssh://${{ vars.SWARM_SSH_HOST }}" },
                    Steps =
                    [
                        Checkout(),
                        InstallDoctl(),
                        new WorkflowStep { Name = "Log in to the registry", Run = "doctl registry login --expiry-seconds 1800\n" },
                        new WorkflowStep
                        {
                            Name = "Trust the manager",
                            Env = new() { ["SSH_KEY"] = "${{ secrets.SWARM_SSH_KEY }}", ["KNOWN_HOSTS"] = "${{ secrets.SWARM_SSH_KNOWN_HOSTS }}" },
                            Run = "install -m 700 -d ~/.ssh\n"
                                + "printf '%s\\n' \"$SSH_KEY\" > ~/.ssh/id_ed25519 && chmod 600 ~/.ssh/id_ed25519\n"
                                + "printf '%s\\n' \"$KNOWN_HOSTS\" > ~/.ssh/known_hosts\n",
                        },
                        new WorkflowStep
                        {
                            Name = "Roll out the whole stack, one task at a time, new before old",
                            // The stack's variables: secrets from the repository's secrets, the others from its variables.
                            Env = stackVariables.Where(v => v.Name != Compose.ComposeWriter.RegistryVariable.Name && v.Name != Compose.ComposeWriter.TagVariable.Name && v.Name != Compose.ComposeWriter.WebhookSecretVariable.Name)
                                .ToDictionary(v => v.Name, v => v.Secret || v.Name == Compose.Monitoring.WebhookVariable.Name ? $"${{{{ secrets.{v.Name} }}}}" : $"${{{{ vars.{v.Name} }}}}"),
                            Run = $"bash {Compose.SwarmRolloutWriter.Path}\n",
                        },
                    ],
                },
                [AppPlatform] = new WorkflowJob
                {
                    Name = "roll out on App Platform",
                    Needs = ["images"],
                    If = $"{Target} == '{AppPlatform}'",
                    Environment = "production",
                    Steps =
                    [
                        Checkout(),
                        InstallDoctl(),
                        new WorkflowStep
                        {
                            Name = "Update the app from the spec",
                            Env = PlatformSecrets.All(plan).ToDictionary(secret => secret.Name, secret => $"${{{{ secrets.{secret.Name} }}}}")
                                .Append(new("APP_ID", "${{ vars.DO_APP_ID }}")).ToDictionary(),
                            Run = AppPlatformRollout(plan),
                        },
                    ],
                },
            },
        };

        return new GeneratedFile(Path, Yaml.Document(Yaml.SnakeCase,
            "Build, push and roll out AgentC2 (docs/deployment.md). Needs the repository variables\n"
            + $"{string.Join(", ", Variables)} and secrets {string.Join(", ", AccessSecrets)} plus, for App Platform,\n"
            + string.Join(",\n", PlatformSecrets.All(plan).Select(s => s.Name).Chunk(6).Select(names => string.Join(", ", names))) + ".\n"
            + "Generated from the AppHost by `aspire publish`; do not edit.", workflow));
    }

    private static string AppPlatformRollout(DeploymentPlan plan)
    {
        // Only these placeholders are filled: App Platform's own ${component.PRIVATE_URL} stay as they are.
        // A few to a line, so that the script stays readable however many there are.
        var placeholders = PlatformSecrets.All(plan).Select(s => "${" + s.Name + "}").Prepend(AppSpecWriter.TagPlaceholder).Chunk(4)
            .Select((chunk, i) => $"placeholders{(i == 0 ? "=" : "+=")}'{(i == 0 ? "" : " ")}{string.Join(' ', chunk)}'\n");
        return string.Concat(placeholders)
            + $"envsubst \"$placeholders\" < {AppSpecWriter.Path} > \"$RUNNER_TEMP/app.yaml\"\n"
            + "# App Platform replaces instances only after the new ones pass their health check.\n"
            + "doctl apps update \"$APP_ID\" --spec \"$RUNNER_TEMP/app.yaml\" --wait\n";
    }

    private static WorkflowStep Checkout() => new()
    {
        Name = "Check out",
        Uses = "actions/checkout@v4",
        With = new() { ["ref"] = Tag },
    };

    private static WorkflowStep InstallDoctl() => new()
    {
        Name = "Install doctl",
        Uses = "digitalocean/action-doctl@v2",
        With = new() { ["token"] = "${{ secrets.DIGITALOCEAN_ACCESS_TOKEN }}" },
    };
}
