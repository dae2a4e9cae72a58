extern alias AgentService;
using System.Text.Json;
using AgentService::AgentC2.Agent.Models;

namespace AgentC2.Tests.Models;

/// <summary>How the offline model fills a tool call from the tool's JSON schema, and from <c>#args</c>.</summary>
public sealed class ToolArgumentsTests
{
    [Fact]
    public void Required_properties_get_values_of_their_types()
    {
        var schema = Schema("""
            {"type":"object","required":["a","b","mode","flag","tags","point","name"],"properties":{
              "a":{"type":"number"},"b":{"type":"integer","minimum":10},"mode":{"type":"string","enum":["fast","slow"]},
              "flag":{"type":"boolean"},"tags":{"type":"array","minItems":2,"items":{"type":"string"}},
              "point":{"type":"object","required":["x"],"properties":{"x":{"type":"number","maximum":0}}},
              "name":{"type":["string","null"]},"optional":{"type":"string"}}}
            """);

        var arguments = ToolArguments.For(schema, "step 3 of 4", 3, "no directive");

        Assert.Equal(3.0, arguments["a"]);
        Assert.Equal(10L, arguments["b"]);
        Assert.Equal("fast", ((JsonElement)arguments["mode"]!).GetString());
        Assert.Equal(true, arguments["flag"]);
        Assert.Equal(["step 3 of 4", "step 3 of 4"], (List<object?>)arguments["tags"]!);
        Assert.Equal(0.0, ((Dictionary<string, object?>)arguments["point"]!)["x"]);
        Assert.Equal("step 3 of 4", arguments["name"]);
        Assert.False(arguments.ContainsKey("optional"));
    }

    [Fact]
    public void Without_required_properties_the_first_one_is_filled_and_defaults_win()
    {
        Assert.Equal(["text"], ToolArguments.For(Schema("""{"type":"object","properties":{"text":{"type":"string"},"delayMs":{"type":"integer"}}}"""), "t", 1, "").Keys);
        Assert.Equal(500, ((JsonElement)ToolArguments.For(Schema("""{"type":"object","required":["n"],"properties":{"n":{"type":"integer","default":500}}}"""), "t", 1, "")["n"]!).GetInt32());
        Assert.Empty(ToolArguments.For(Schema("""{"type":"object","properties":{}}"""), "t", 1, ""));
    }

    [Theory]
    [InlineData("""{"type":"string"}""")]
    [InlineData("""{"type":"object","properties":5,"required":"yes"}""")]
    [InlineData("""[1,2]""")]
    public void Schemas_that_are_not_objects_give_no_arguments_rather_than_failing(string schema) =>
        Assert.Empty(ToolArguments.For(Schema(schema), "t", 1, ""));

    [Fact]
    public void Args_in_the_input_override_the_generated_values_and_bad_json_is_ignored()
    {
        var schema = Schema("""{"type":"object","required":["a","b"],"properties":{"a":{"type":"number"},"b":{"type":"number"}}}""");

        var given = ToolArguments.For(schema, "t", 1, """Add them #args={"a": 40, "c": "extra"} please""");
        Assert.Equal(40, ((JsonElement)given["a"]!).GetInt32());
        Assert.Equal(2.0, given["b"]);
        Assert.Equal("extra", ((JsonElement)given["c"]!).GetString());

        Assert.Equal(1.0, ToolArguments.For(schema, "t", 1, "#args={not json")["a"]);
        Assert.Equal(1.0, ToolArguments.For(schema, "t", 1, "#args=[1]")["a"]);
    }

    private static JsonElement Schema(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
