using System.Globalization;
using System.Text;
using System.Text.Json;
using AgentC2.Agent.Security;
using ModelContextProtocol.Protocol;

namespace AgentC2.Agent.Mcp;

/// <summary>
/// One non-text item of a tool result as a step keeps it: an image, audio or embedded resource with its data (base64)
/// or text, a resource link by reference, structured content as JSON, or (with <see cref="Omitted"/>) what was not kept
/// and why. Never dropped silently.
/// </summary>
public sealed record ToolContent(
    string Type,
    string? MimeType = null,
    string? Data = null,
    string? Text = null,
    string? Uri = null,
    string? Name = null,
    long? Size = null,
    string? Omitted = null);

/// <summary>
/// A tool call's result as a step stores it: the text the model reads (text parts, then a line per non-text item), the
/// non-text items, and whether the server flagged it as an error. Every text that came from the server has the service's
/// own secrets redacted (<see cref="Redactions"/> counts them).
/// </summary>
internal sealed record ToolOutput(string Text, IReadOnlyList<ToolContent> Content, bool IsError, int Redactions)
{
    /// <summary>Where a stored tool result keeps <see cref="Content"/> (in the result's additional properties).</summary>
    public const string ContentProperty = "agentc2.content";

    public static ToolOutput From(CallToolResult result, McpResultLimits limits, ServiceSecrets secrets)
    {
        var text = new StringBuilder();
        var content = new List<ToolContent>();
        var redactions = 0;
        string Clean(string value)
        {
            var redacted = secrets.Redact(value, out var count);
            redactions += count;
            return redacted;
        }

        void Keep(ToolContent item, long size, bool named = true)
        {
            if (content.Count(c => c.Omitted is null) >= limits.MaxContentItems)
            {
                item = item with { Data = null, Text = null, Omitted = $"more than {limits.MaxContentItems} items in one result" };
            }
            else if (size > limits.MaxContentBytes && (item.Data is not null || item.Text is not null))
            {
                item = item with { Data = null, Text = null, Omitted = $"larger than {limits.MaxContentBytes} bytes" };
            }

            content.Add(item with { Size = item.Size ?? size });
            if (named || item.Omitted is not null)
            {
                text.Append(text.Length == 0 ? string.Empty : "\n").Append(Describe(item with { Size = item.Size ?? size }, content.Count));
            }
        }

        foreach (var block in result.Content)
        {
            switch (block)
            {
                case TextContentBlock part:
                    text.Append(text.Length == 0 ? string.Empty : "\n").Append(Clean(part.Text));
                    break;
                case ImageContentBlock image:
                    Keep(new ToolContent("image", image.MimeType, Data: Encoding.ASCII.GetString(image.Data.Span)), Base64Size(image.Data.Span));
                    break;
                case AudioContentBlock audio:
                    Keep(new ToolContent("audio", audio.MimeType, Data: Encoding.ASCII.GetString(audio.Data.Span)), Base64Size(audio.Data.Span));
                    break;
                case EmbeddedResourceBlock { Resource: TextResourceContents resource }:
                    var resourceText = Clean(resource.Text);
                    Keep(new ToolContent("resource", resource.MimeType, Text: resourceText, Uri: Clean(resource.Uri)), Encoding.UTF8.GetByteCount(resourceText));
                    break;
                case EmbeddedResourceBlock { Resource: BlobResourceContents blob }:
                    Keep(new ToolContent("resource", blob.MimeType, Data: Encoding.ASCII.GetString(blob.Blob.Span), Uri: Clean(blob.Uri)), Base64Size(blob.Blob.Span));
                    break;
                case ResourceLinkBlock link:
                    Keep(new ToolContent("resource_link", link.MimeType, Uri: Clean(link.Uri), Name: Clean(link.Name), Size: link.Size), 0);
                    break;
                default:
                    Keep(new ToolContent(block.Type, Omitted: $"content of type '{block.Type}' is not kept"), 0);
                    break;
            }
        }

        if (result.StructuredContent is { } structured)
        {
            // Servers should send the same data as text too: then the model's text does not name it again.
            var json = Clean(structured.GetRawText());
            Keep(new ToolContent("structured", "application/json", Text: json), Encoding.UTF8.GetByteCount(json), named: !result.Content.OfType<TextContentBlock>().Any());
        }

        var all = text.ToString();
        if (all.Length > limits.MaxTextCharacters)
        {
            all = string.Concat(all.AsSpan(0, limits.MaxTextCharacters), string.Create(CultureInfo.InvariantCulture, $"\n[cut: the result had {all.Length} characters, {limits.MaxTextCharacters} are kept]"));
        }

        return new ToolOutput(all, content, result.IsError == true, redactions);
    }

    /// <summary>A tool error (a protocol error from the server, a server that is gone) as a result, its text redacted.</summary>
    public static ToolOutput Error(string message, ServiceSecrets secrets) => new(secrets.Redact(message, out var count), [], true, count);

    /// <summary>The stored form of <paramref name="content"/> (null when there is none).</summary>
    public static JsonElement? Store(IReadOnlyList<ToolContent> content) =>
        content.Count == 0 ? null : JsonSerializer.SerializeToElement(content, JsonSerializerOptions.Web);

    /// <summary>The items a stored tool result kept (none for results stored without any).</summary>
    public static IReadOnlyList<ToolContent>? Read(object? stored) => stored switch
    {
        JsonElement { ValueKind: JsonValueKind.Array } element => element.Deserialize<List<ToolContent>>(JsonSerializerOptions.Web),
        IReadOnlyList<ToolContent> list => list,
        _ => null,
    };

    // The decoded size of base64 text (padding excluded).
    private static long Base64Size(ReadOnlySpan<byte> base64) =>
        base64.Length / 4 * 3 - (base64.EndsWith("=="u8) ? 2 : base64.EndsWith("="u8) ? 1 : 0);

    private static string Describe(ToolContent item, int number) => item.Omitted is { } why
        ? string.Create(CultureInfo.InvariantCulture, $"[{item.Type} {item.MimeType ?? item.Uri} not kept: {why}]")
        : item.Type == "resource_link"
            ? string.Create(CultureInfo.InvariantCulture, $"[resource link {item.Name}: {item.Uri}]")
            : string.Create(CultureInfo.InvariantCulture, $"[{item.Type} {item.MimeType}, {item.Size} bytes, kept as content {number}]");
}
