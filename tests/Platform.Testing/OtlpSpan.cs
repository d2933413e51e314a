using System.Text;

namespace Platform.Testing;

/// <summary>
/// A span as it left a service in an OTLP <c>ExportTraceServiceRequest</c> (protobuf), with the service that sent it
/// (resource attribute <c>service.name</c>) and its instrumentation scope. Ids are lower-case hex, as in <c>traceparent</c>;
/// a root span has an empty <see cref="ParentSpanId"/>. <see cref="Kind"/> is OTLP's: 1 internal, 2 server, 3 client,
/// 4 producer, 5 consumer.
/// </summary>
public sealed record OtlpSpan(string Service, string Scope, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind)
{
    /// <summary>Decodes the spans of one request body with a minimal protobuf wire reader (the OTLP proto package is not served here).</summary>
    public static IReadOnlyList<OtlpSpan> Parse(ReadOnlySpan<byte> exportTraceServiceRequest)
    {
        var spans = new List<OtlpSpan>();
        var request = new ProtoReader(exportTraceServiceRequest);
        while (request.Next(out var field))
        {
            if (field == 1)
            {
                ReadResourceSpans(request.Bytes(), spans);
            }
            else
            {
                request.Skip();
            }
        }

        return spans;
    }

    // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
    private static void ReadResourceSpans(ReadOnlySpan<byte> bytes, List<OtlpSpan> spans)
    {
        var service = "";
        var scopeSpans = new List<byte[]>();
        var reader = new ProtoReader(bytes);
        while (reader.Next(out var field))
        {
            switch (field)
            {
                case 1:
                    service = ServiceName(reader.Bytes());
                    break;
                case 2:
                    scopeSpans.Add(reader.Bytes().ToArray());
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        foreach (var scope in scopeSpans)
        {
            ReadScopeSpans(service, scope, spans);
        }
    }

    // Resource { repeated KeyValue attributes = 1; }  KeyValue { string key = 1; AnyValue value = 2; }  AnyValue { string string_value = 1; }
    private static string ServiceName(ReadOnlySpan<byte> resource)
    {
        var reader = new ProtoReader(resource);
        while (reader.Next(out var field))
        {
            if (field != 1)
            {
                reader.Skip();
                continue;
            }

            var attribute = new ProtoReader(reader.Bytes());
            string? key = null;
            string? value = null;
            while (attribute.Next(out var part))
            {
                if (part == 1)
                {
                    key = attribute.String();
                }
                else if (part == 2)
                {
                    var any = new ProtoReader(attribute.Bytes());
                    while (any.Next(out var kind))
                    {
                        if (kind == 1)
                        {
                            value = any.String();
                        }
                        else
                        {
                            any.Skip();
                        }
                    }
                }
                else
                {
                    attribute.Skip();
                }
            }

            if (key == "service.name" && value is not null)
            {
                return value;
            }
        }

        return "";
    }

    // ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }  InstrumentationScope { string name = 1; }
    private static void ReadScopeSpans(string service, ReadOnlySpan<byte> bytes, List<OtlpSpan> spans)
    {
        var scope = "";
        var spanBodies = new List<byte[]>();
        var reader = new ProtoReader(bytes);
        while (reader.Next(out var field))
        {
            if (field == 1)
            {
                var scopeReader = new ProtoReader(reader.Bytes());
                while (scopeReader.Next(out var part))
                {
                    if (part == 1)
                    {
                        scope = scopeReader.String();
                    }
                    else
                    {
                        scopeReader.Skip();
                    }
                }
            }
            else if (field == 2)
            {
                spanBodies.Add(reader.Bytes().ToArray());
            }
            else
            {
                reader.Skip();
            }
        }

        foreach (var body in spanBodies)
        {
            spans.Add(ReadSpan(service, scope, body));
        }
    }

    // Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; SpanKind kind = 6; }
    private static OtlpSpan ReadSpan(string service, string scope, ReadOnlySpan<byte> bytes)
    {
        string traceId = "", spanId = "", parentSpanId = "", name = "";
        var kind = 0;
        var reader = new ProtoReader(bytes);
        while (reader.Next(out var field))
        {
            switch (field)
            {
                case 1:
                    traceId = Convert.ToHexStringLower(reader.Bytes());
                    break;
                case 2:
                    spanId = Convert.ToHexStringLower(reader.Bytes());
                    break;
                case 4:
                    parentSpanId = Convert.ToHexStringLower(reader.Bytes());
                    break;
                case 5:
                    name = reader.String();
                    break;
                case 6:
                    kind = (int)reader.Varint();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new OtlpSpan(service, scope, traceId, spanId, parentSpanId, name, kind);
    }

    /// <summary>The protobuf wire format, as much of it as OTLP traces need: varints, fixed 32/64-bit and length-delimited fields.</summary>
    private ref struct ProtoReader(ReadOnlySpan<byte> buffer)
    {
        private readonly ReadOnlySpan<byte> _buffer = buffer;
        private int _position;
        private int _wireType;

        public bool Next(out int field)
        {
            if (_position >= _buffer.Length)
            {
                field = 0;
                return false;
            }

            var tag = Varint();
            field = (int)(tag >> 3);
            _wireType = (int)(tag & 7);
            return true;
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = _buffer[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }
        }

        public ReadOnlySpan<byte> Bytes()
        {
            var length = (int)Varint();
            var bytes = _buffer.Slice(_position, length);
            _position += length;
            return bytes;
        }

        public string String() => Encoding.UTF8.GetString(Bytes());

        public void Skip()
        {
            switch (_wireType)
            {
                case 0:
                    Varint();
                    break;
                case 1:
                    _position += 8;
                    break;
                case 2:
                    Bytes();
                    break;
                case 5:
                    _position += 4;
                    break;
                default:
                    throw new FormatException($"unsupported protobuf wire type {_wireType} at byte {_position}");
            }
        }
    }
}
