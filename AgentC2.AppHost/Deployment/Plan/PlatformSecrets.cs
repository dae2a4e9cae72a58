using System.Globalization;

namespace AgentC2.AppHost.Deployment.Plan;

/// <summary>
/// On platforms where PostgreSQL and Redis are managed services rather than part of the deployment (App Platform,
/// Kubernetes), a value that points at a backing service, holds a secret or is only known at deploy time (the model
/// settings) comes whole from one secret: the variable itself (<c>OPERATOR_API_KEY</c>, <c>MODEL_PROVIDER</c>), or
/// <c>{NAME}_CONNECTION_STRING</c> for <c>ConnectionStrings__{name}</c>.
/// Both platforms use the same names, which are also the deploy workflow's repository secrets.
/// </summary>
internal static class PlatformSecrets
{
    private const string ConnectionStringPrefix = "ConnectionStrings__";

    public static Variable? Of(EnvVar variable)
    {
        if (!variable.Value.IsDeployTime)
        {
            return null;
        }

        if (variable.Value.Parts is [VariablePart single])
        {
            return single.Variable;
        }

        if (variable.Name.StartsWith(ConnectionStringPrefix, StringComparison.Ordinal))
        {
            var name = variable.Name[ConnectionStringPrefix.Length..];
            var shape = variable.Value.Render(url => url.Url, secret => "…");
            return new Variable($"{Upper(name)}_CONNECTION_STRING", $"Connection string of {name}, shaped like: {shape}", Secret: true, VariableDefault.Required);
        }

        return new Variable(Upper(variable.Name), $"Value of {variable.Name}", Secret: true, VariableDefault.Required);
    }

    /// <summary>Every secret the apps need on such a platform, in order of first use.</summary>
    public static IReadOnlyList<Variable> All(DeploymentPlan plan) =>
        [.. plan.Apps.SelectMany(app => app.Environment).Select(Of).OfType<Variable>().DistinctBy(v => v.Name)];

    private static string Upper(string name) => name.Replace('-', '_').Replace(".", "_", StringComparison.Ordinal).ToUpper(CultureInfo.InvariantCulture);
}
