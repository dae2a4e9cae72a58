using System.Text;
using AgentC2.AppHost.Deployment.Plan;

namespace AgentC2.AppHost.Deployment;

/// <summary>Writes <c>.env.example</c>: every variable the Compose files read, what it is, and whether it must be set.</summary>
internal static class EnvExampleWriter
{
    public const string Path = ".env.example";

    public static GeneratedFile Write(IEnumerable<Variable> variables)
    {
        var text = new StringBuilder(Yaml.Header(
            "The variables of docker-compose.production.yml and docker-stack.production.yml.\n"
            + "Copy to .env (compose) or export them (stack deploy), fill in the required ones; never commit the copy.\n"
            + "Generated from the AppHost by `aspire publish`; do not edit (docs/deployment.md)."));
        foreach (var variable in variables)
        {
            var note = (variable.Default, variable.Secret) switch
            {
                (VariableDefault.Required, true) => "required, secret: e.g. `openssl rand -hex 32`",
                (VariableDefault.Required, false) => "required",
                (VariableDefault.Empty, _) => "may stay empty",
                _ => $"default {variable.Example}",
            };
            text.Append($"\n# {variable.Description} ({note})\n{variable.Name}={(variable.Default == VariableDefault.Published ? variable.Example : "")}\n");
        }

        return new GeneratedFile(Path, text.ToString());
    }
}
