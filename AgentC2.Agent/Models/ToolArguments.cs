using System.Text;
using System.Text.Json;

namespace AgentC2.Agent.Models;

/// <summary>
/// How the offline model fills a tool call: from the tool's JSON schema, every required property (or the first one when
/// none is required) gets a value of its type: its <c>const</c>, <c>default</c> or first <c>enum</c> value when the
/// schema has one, else text for strings, the call number (and one more for each further number) within
/// <c>minimum</c>/<c>maximum</c> for numbers, <c>true</c> for booleans, one item for arrays that need one, and objects
/// filled the same way. <c>#args={…}</c> in the input gives values explicitly; they win over the generated ones.
/// </summary>
internal static class ToolArguments
{
    private const string Directive = "#args=";
    private const int MaxDepth = 8;

    public static Dictionary<string, object?> For(JsonElement schema, string text, int call, string input)
    {
        var numbers = 0;
        var arguments = Fill(schema, text, call, ref numbers, depth: 0);
        foreach (var (name, value) in Given(input))
        {
            arguments[name] = value;
        }

        return arguments;
    }

    /// <summary>The object of <c>#args={…}</c> in <paramref name="input"/>, or nothing when there is none or it is not a JSON object.</summary>
    public static IEnumerable<KeyValuePair<string, object?>> Given(string input)
    {
        var at = input.IndexOf(Directive, StringComparison.Ordinal);
        if (at < 0)
        {
            return [];
        }

        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(input[(at + Directive.Length)..]), new JsonReaderOptions { AllowTrailingCommas = true });
        try
        {
            if (JsonElement.TryParseValue(ref reader, out var value) && value is { ValueKind: JsonValueKind.Object } given)
            {
                return given.EnumerateObject().Select(p => new KeyValuePair<string, object?>(p.Name, p.Value.Clone())).ToList();
            }
        }
        catch (JsonException)
        {
            // Not JSON after the directive: the generated arguments stand.
        }

        return [];
    }

    private static Dictionary<string, object?> Fill(JsonElement schema, string text, int call, ref int numbers, int depth)
    {
        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (depth > MaxDepth || schema.ValueKind != JsonValueKind.Object
            || !schema.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
        {
            return arguments;
        }

        var required = schema.TryGetProperty("required", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String).Select(r => r.GetString()!).ToHashSet(StringComparer.Ordinal)
            : [];
        var chosen = properties.EnumerateObject().Where(p => required.Contains(p.Name)).ToList();
        if (chosen.Count == 0 && properties.EnumerateObject().FirstOrDefault() is { Value.ValueKind: not JsonValueKind.Undefined } first)
        {
            chosen.Add(first);
        }

        foreach (var property in chosen)
        {
            arguments[property.Name] = ValueOf(property.Value, text, call, ref numbers, depth + 1);
        }

        return arguments;
    }

    private static object? ValueOf(JsonElement schema, string text, int call, ref int numbers, int depth)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return text;
        }

        foreach (var fixedValue in new[] { "const", "default" })
        {
            if (schema.TryGetProperty(fixedValue, out var value))
            {
                return value.Clone();
            }
        }

        if (schema.TryGetProperty("enum", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
        {
            return choices[0].Clone();
        }

        foreach (var alternatives in new[] { "anyOf", "oneOf", "allOf" })
        {
            if (schema.TryGetProperty(alternatives, out var options) && options.ValueKind == JsonValueKind.Array && options.GetArrayLength() > 0)
            {
                return ValueOf(options[0], text, call, ref numbers, depth + 1);
            }
        }

        return TypeOf(schema) switch
        {
            "integer" => (long)Number(schema, call + numbers++),
            "number" => Number(schema, call + numbers++),
            "boolean" => true,
            "null" => null,
            "array" => Items(schema, text, call, ref numbers, depth),
            "object" => Fill(schema, text, call, ref numbers, depth),
            _ => text,
        };
    }

    private static List<object?> Items(JsonElement schema, string text, int call, ref int numbers, int depth)
    {
        var items = new List<object?>();
        if (schema.TryGetProperty("minItems", out var min) && min.TryGetInt32(out var count) && schema.TryGetProperty("items", out var item))
        {
            for (var i = 0; i < Math.Min(count, 16); i++)
            {
                items.Add(ValueOf(item, text, call, ref numbers, depth + 1));
            }
        }

        return items;
    }

    // "type" may be a list (["string", "null"]): the first that is not null.
    private static string? TypeOf(JsonElement schema) => schema.TryGetProperty("type", out var type)
        ? type.ValueKind == JsonValueKind.Array
            ? type.EnumerateArray().Select(t => t.GetString()).FirstOrDefault(t => t != "null") ?? "null"
            : type.GetString()
        : schema.TryGetProperty("properties", out _) ? "object" : null;

    private static double Number(JsonElement schema, int value)
    {
        double result = value;
        if (schema.TryGetProperty("minimum", out var minimum) && minimum.TryGetDouble(out var low))
        {
            result = Math.Max(result, low);
        }

        if (schema.TryGetProperty("maximum", out var maximum) && maximum.TryGetDouble(out var high))
        {
            result = Math.Min(result, high);
        }

        return result;
    }
}
