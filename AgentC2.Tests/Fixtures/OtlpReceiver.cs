using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;

namespace AgentC2.Tests.Fixtures;

/// <summary>A span as the services exported it: ids in hex, the service that made it, its name and attributes.</summary>
internal sealed record ReceivedSpan(string Service, string TraceId, string SpanId, string ParentSpanId, string Name, IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// An OTLP/HTTP (protobuf) receiver on loopback: the services under test export to it as they would to a collector.
/// It keeps the spans of <c>/v1/traces</c> and answers every export (logs, metrics) with 200.
/// </summary>
internal sealed class OtlpReceiver() : LoopbackHttpServer(concurrent: true)
{
    public string Endpoint => $"http://127.0.0.1:{Port}";

    public ConcurrentQueue<ReceivedSpan> Spans { get; } = new();

    public IReadOnlyList<ReceivedSpan> Trace(string traceId) => [.. Spans.Where(s => s.TraceId == traceId)];

    protected override async Task AnswerAsync(HttpListenerContext context)
    {
        using var body = new MemoryStream();
        await context.Request.InputStream.CopyToAsync(body);
        if (context.Request.Url?.AbsolutePath == "/v1/traces")
        {
            foreach (var span in Parse(body.ToArray()))
            {
                Spans.Enqueue(span);
            }
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/x-protobuf";
        context.Response.Close();
    }

    // ExportTraceServiceRequest: resource_spans (1) → resource (1: attributes 1) and scope_spans (2) → spans (2).
    private static IEnumerable<ReceivedSpan> Parse(byte[]? request)
    {
        foreach (var resourceSpans in Fields(request).Where(f => f.Number == 1).Select(f => f.Bytes))
        {
            var service = Fields(resourceSpans).Where(f => f.Number == 1).SelectMany(f => Attributes(f.Bytes, 1)).FirstOrDefault(a => a.Key == "service.name").Value ?? "";
            foreach (var scopeSpans in Fields(resourceSpans).Where(f => f.Number == 2).Select(f => f.Bytes))
            {
                foreach (var span in Fields(scopeSpans).Where(f => f.Number == 2).Select(f => f.Bytes))
                {
                    var fields = Fields(span).ToList();
                    string Hex(int number) => Convert.ToHexStringLower(fields.FirstOrDefault(f => f.Number == number).Bytes ?? []);
                    yield return new ReceivedSpan(service, Hex(1), Hex(2), Hex(4),
                        System.Text.Encoding.UTF8.GetString(fields.FirstOrDefault(f => f.Number == 5).Bytes ?? []),
                        Attributes(span, 9).GroupBy(a => a.Key).ToDictionary(g => g.Key, g => g.Last().Value));
                }
            }
        }
    }

    // KeyValue: key (1), value (2: AnyValue with string_value 1, bool 2, int 3, double 4).
    private static IEnumerable<KeyValuePair<string, string>> Attributes(byte[]? message, int field)
    {
        foreach (var keyValue in Fields(message).Where(f => f.Number == field).Select(f => f.Bytes))
        {
            var parts = Fields(keyValue).ToList();
            var key = System.Text.Encoding.UTF8.GetString(parts.FirstOrDefault(p => p.Number == 1).Bytes ?? []);
            var any = Fields(parts.FirstOrDefault(p => p.Number == 2).Bytes ?? []).FirstOrDefault();
            var value = any.Number switch
            {
                1 => System.Text.Encoding.UTF8.GetString(any.Bytes!),
                2 or 3 => any.Varint.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => "",
            };
            yield return new(key, value);
        }
    }

    private readonly record struct Field(int Number, byte[]? Bytes, long Varint);

    private static List<Field> Fields(byte[]? message)
    {
        var fields = new List<Field>();
        var input = new CodedInputStream(message ?? []);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var number = WireFormat.GetTagFieldNumber(tag);
            switch (WireFormat.GetTagWireType(tag))
            {
                case WireFormat.WireType.LengthDelimited:
                    fields.Add(new Field(number, input.ReadBytes().ToByteArray(), 0));
                    break;
                case WireFormat.WireType.Varint:
                    fields.Add(new Field(number, null, input.ReadInt64()));
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return fields;
    }
}
