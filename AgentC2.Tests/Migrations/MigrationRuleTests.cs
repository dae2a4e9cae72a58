using System.Text.RegularExpressions;
using AgentC2.Tests.Fixtures;

namespace AgentC2.Tests.Migrations;

/// <summary>
/// Expand/contract (docs/decisions.md): during a rolling deploy the previous release runs beside the new one against the
/// new schema, so a migration may only add (tables, nullable or defaulted columns, indexes). Dropping or renaming a column
/// or table, or changing a column's type, is a contract step: it must name, in a <c>-- contract-of: NNNN_name.sql</c>
/// line, the earlier migration that expanded the schema so that the release before this one no longer reads what it
/// removes. The rule is checked on every migration in the repository.
/// </summary>
public sealed partial class MigrationRuleTests
{
    private static readonly string Folder = Path.Combine(Repository.Root, "AgentC2.Agent", "Data", "Migrations");

    [Fact]
    public void Every_migration_in_the_repository_is_additive_or_a_planned_contract_step()
    {
        var migrations = Directory.GetFiles(Folder, "*.sql").Order(StringComparer.Ordinal).ToDictionary(path => Path.GetFileName(path), File.ReadAllText);
        Assert.NotEmpty(migrations);
        Assert.Empty(migrations.SelectMany(m => Violations(m.Key, m.Value, migrations.Keys)));
    }

    [Theory]
    [InlineData("ALTER TABLE runs DROP COLUMN metadata;")]
    [InlineData("alter table runs rename column input to prompt;")]
    [InlineData("ALTER TABLE runs ALTER COLUMN max_steps TYPE bigint;")]
    [InlineData("DROP TABLE webhook_deliveries;")]
    [InlineData("ALTER TABLE runs RENAME TO agent_runs;")]
    public void A_destructive_change_without_a_two_step_plan_is_refused(string statement)
    {
        var existing = new[] { "0001_initial.sql", "0002_queue_and_webhooks.sql" };
        Assert.NotEmpty(Violations("0003_change.sql", statement, [.. existing, "0003_change.sql"]));
        // Naming an expand step that does not exist, or one that is not earlier, is no plan either.
        Assert.NotEmpty(Violations("0003_change.sql", "-- contract-of: 0009_later.sql\n" + statement, [.. existing, "0003_change.sql"]));
        Assert.NotEmpty(Violations("0003_change.sql", "-- contract-of: 0003_change.sql\n" + statement, [.. existing, "0003_change.sql"]));
    }

    [Fact]
    public void A_contract_step_that_names_its_earlier_expand_step_is_accepted()
    {
        var names = new[] { "0001_initial.sql", "0002_add_prompt.sql", "0003_drop_input.sql" };
        Assert.Empty(Violations("0003_drop_input.sql", "-- contract-of: 0002_add_prompt.sql\nALTER TABLE runs DROP COLUMN input;", names));
        // Additive changes and index rebuilds need no plan.
        Assert.Empty(Violations("0004_more.sql", "ALTER TABLE runs ADD COLUMN note text;\nDROP INDEX runs_queued;\nCREATE INDEX runs_q ON runs (status);", [.. names, "0004_more.sql"]));
    }

    private static IEnumerable<string> Violations(string name, string sql, IEnumerable<string> all)
    {
        var code = LineComment().Replace(sql, string.Empty);
        var destructive = Destructive().Matches(code).Select(m => m.Value.Trim()).ToList();
        if (destructive.Count == 0)
        {
            yield break;
        }

        var plan = ContractOf().Match(sql);
        var expand = plan.Success ? plan.Groups[1].Value : null;
        if (expand is null || !all.Contains(expand) || string.CompareOrdinal(expand, name) >= 0)
        {
            yield return $"{name}: '{destructive[0]}' removes or changes what the previous release reads; ship the expand step first and name it with '-- contract-of: <earlier migration>' (docs/decisions.md, expand/contract)";
        }
    }

    [GeneratedRegex(@"\b(DROP\s+COLUMN|RENAME\s+COLUMN|RENAME\s+TO|ALTER\s+COLUMN\s+\S+\s+(SET\s+DATA\s+)?TYPE|DROP\s+TABLE|RENAME\s+\S+\s+TO)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Destructive();

    [GeneratedRegex(@"^--\s*contract-of:\s*(\S+\.sql)\s*$", RegexOptions.Multiline)]
    private static partial Regex ContractOf();

    [GeneratedRegex(@"--[^\n]*")]
    private static partial Regex LineComment();
}
