extern alias AgentService;
using System.Text;
using System.Text.Json;
using AgentService::AgentC2.Agent.Mcp;
using AgentService::AgentC2.Agent.Security;
using ModelContextProtocol.Protocol;

namespace AgentC2.Tests.Mcp;

/// <summary>How a tool result becomes what a step stores: text for the model, non-text items kept within bounds, secrets redacted.</summary>
public sealed class ToolOutputTests
{
    private static readonly ServiceSecrets Secrets = new([("AgentC2:Internal:ApiKey", "internal-key-123456")]);
    private static readonly McpResultLimits Limits = new() { MaxTextCharacters = 1_000, MaxContentBytes = 8, MaxContentItems = 2 };

    [Fact]
    public void Non_text_items_are_kept_within_their_bounds_and_named_in_the_text()
    {
        var result = new CallToolResult
        {
            Content =
            [
                new TextContentBlock { Text = "Here:" },
                new ImageContentBlock { MimeType = "image/png", Data = Base64([1, 2, 3, 4, 5]) },
                new ImageContentBlock { MimeType = "image/png", Data = Base64(new byte[9]) },
                new ResourceLinkBlock { Uri = "file:///a.txt", Name = "a.txt" },
                new AudioContentBlock { MimeType = "audio/wav", Data = Base64([1]) },
            ],
        };

        var output = ToolOutput.From(result, Limits, Secrets);

        Assert.Equal(
            [("image", null, 5L), ("image", "larger than 8 bytes", 9L), ("resource_link", null, 0L), ("audio", "more than 2 items in one result", 1L)],
            output.Content.Select(c => (c.Type, c.Omitted, c.Size ?? -1)));
        Assert.Equal("AQIDBAU=", output.Content[0].Data);
        Assert.Null(output.Content[1].Data);
        Assert.Equal(
            "Here:\n[image image/png, 5 bytes, kept as content 1]\n[image image/png not kept: larger than 8 bytes]\n[resource link a.txt: file:///a.txt]\n[audio audio/wav not kept: more than 2 items in one result]",
            output.Text);
    }

    [Fact]
    public void Text_is_cut_at_its_bound_and_secrets_are_redacted_everywhere_and_counted()
    {
        var result = new CallToolResult
        {
            Content =
            [
                new TextContentBlock { Text = "key internal-key-123456 " + new string('x', 200) },
                new EmbeddedResourceBlock { Resource = new TextResourceContents { Uri = "mem://internal-key-123456", Text = "internal-key-123456" } },
            ],
            StructuredContent = JsonDocument.Parse("""{"key":"internal-key-123456"}""").RootElement,
            IsError = true,
        };

        var output = ToolOutput.From(result, new McpResultLimits { MaxTextCharacters = 100, MaxContentBytes = 1_000, MaxContentItems = 2 }, Secrets);

        Assert.True(output.IsError);
        Assert.Equal(4, output.Redactions);
        Assert.StartsWith("key [redacted] xxx", output.Text, StringComparison.Ordinal);
        Assert.Contains("[cut: the result had", output.Text, StringComparison.Ordinal);
        Assert.Equal(("mem://[redacted]", "[redacted]"), (output.Content[0].Uri, output.Content[0].Text));
        // Structured content beside text is kept, not named in the model's text again.
        Assert.Equal("""{"key":"[redacted]"}""", output.Content[1].Text);
        Assert.DoesNotContain("structured", output.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("internal-key-123456", JsonSerializer.Serialize(output), StringComparison.Ordinal);
    }

    private static ReadOnlyMemory<byte> Base64(byte[] bytes) => Encoding.ASCII.GetBytes(Convert.ToBase64String(bytes));
}
