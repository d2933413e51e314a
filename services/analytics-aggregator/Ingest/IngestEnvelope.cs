using System.Text.Json;
using Platform.Contracts.Catalog;
using Platform.Messaging.Wire;

namespace AnalyticsAggregator.Ingest;

/// <summary>
/// Reads one delivery of the ingest queue: a MassTransit JSON envelope (what the outbox relays and MassTransit
/// publishers send) carrying one of the six catalog events. Anything else — not JSON, another content type, no message
/// id, an unknown message type, missing or wrong-typed fields — is refused with a reason a person can act on, and the
/// message goes to the error queue instead of the raw table.
/// </summary>
public static class IngestEnvelope
{
    public const string ContentType = JsonEnvelope.ContentType;

    // MassTransit's own reading: web names, numbers also as strings (it writes decimals as strings). Stricter in one
    // way: every field of the contract must be there and non-null, so a message missing one is refused, not stored
    // with a default.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    // The one table of stored events: URNs come from the contract types, so a contract moved to another namespace
    // (which changes the URN its publishers write) moves the ingest with it.
    private static readonly KnownEvent[] Events =
    [
        Known<ProductCreated>(EventKind.ProductCreated, RawEvent.From),
        Known<ProductUpdated>(EventKind.ProductUpdated, RawEvent.From),
        Known<ProductDeleted>(EventKind.ProductDeleted, RawEvent.From),
        Known<ProductPriceChanged>(EventKind.ProductPriceChanged, RawEvent.From),
        Known<ProductViewed>(EventKind.ProductViewed, RawEvent.From),
        Known<CategoryChanged>(EventKind.CategoryChanged, RawEvent.From),
    ];

    private static readonly Dictionary<string, Func<Guid, ReadOnlyMemory<byte>, RawEvent>> Kinds =
        Events.ToDictionary(e => e.Urn, e => e.Read, StringComparer.Ordinal);

    private static readonly Dictionary<EventKind, string> UrnsByKind = Events.ToDictionary(e => e.Kind, e => e.Urn);

    /// <summary>The envelope's message type names this service stores (MassTransit's URNs, <see cref="MessageUrns"/>).</summary>
    public static IReadOnlyCollection<string> MessageTypes => Kinds.Keys;

    /// <summary>The URN of the contract an <see cref="EventKind"/> is read from.</summary>
    public static string UrnOf(EventKind kind) => UrnsByKind[kind];

    /// <summary>Parses <paramref name="body"/>; on failure <paramref name="error"/> says why and the message type if one was read.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> body, string? contentType, string? propertiesMessageId, out RawEvent row, out IngestRefusal error)
    {
        row = default;
        if (contentType is not null && !contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase)
            && !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            error = new IngestRefusal("UnsupportedContentType", $"content type '{contentType}' is not a MassTransit JSON envelope ({ContentType})", null);
            return false;
        }

        Guid? messageId = null;
        string? messageType = null;
        var message = ReadOnlyMemory<byte>.Empty;
        try
        {
            var reader = new Utf8JsonReader(body.Span);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = new IngestRefusal("MalformedEnvelope", "the body is not a JSON object", null);
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals(JsonEnvelope.MessageId.EncodedUtf8Bytes))
                {
                    reader.Read();
                    messageId = reader.TokenType == JsonTokenType.String && reader.TryGetGuid(out var id) ? id : null;
                }
                else if (reader.ValueTextEquals(JsonEnvelope.MessageType.EncodedUtf8Bytes))
                {
                    reader.Read();
                    messageType = FirstKnownType(ref reader);
                }
                else if (reader.ValueTextEquals(JsonEnvelope.Message.EncodedUtf8Bytes))
                {
                    reader.Read();
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    message = body[start..(int)reader.BytesConsumed];
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException e)
        {
            error = new IngestRefusal("MalformedEnvelope", $"the body is not valid JSON: {e.Message}", null);
            return false;
        }

        messageId ??= Guid.TryParse(propertiesMessageId, out var fromProperties) ? fromProperties : null;
        if (messageType is null)
        {
            error = new IngestRefusal("UnknownMessageType", $"messageType names none of the events this queue stores ({string.Join(", ", Kinds.Keys)})", null);
            return false;
        }

        if (messageId is null)
        {
            // A redelivery could not be told from a new event: refused rather than counted at least once.
            error = new IngestRefusal("MissingMessageId", "the envelope has no messageId (a GUID), so a redelivery could not be deduplicated", messageType);
            return false;
        }

        if (message.IsEmpty)
        {
            error = new IngestRefusal("MalformedEnvelope", "the envelope has no message object", messageType);
            return false;
        }

        try
        {
            row = Kinds[messageType](messageId.Value, message);
            error = default;
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidIngestEventException or NotSupportedException)
        {
            error = new IngestRefusal(e is InvalidIngestEventException ? "InvalidEvent" : "MalformedMessage", e.Message, messageType);
            return false;
        }
    }

    private static KnownEvent Known<T>(EventKind kind, Func<Guid, T, RawEvent> from)
        where T : class =>
        new(MessageUrns.For<T>(), kind, (id, json) => Read<T>(json, e => Check(from(id, e))));

    private static string? FirstKnownType(ref Utf8JsonReader reader)
    {
        // MassTransit's envelope always has an array here (the type and its base types); anything else is not one.
        string? known = null;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return null;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String && known is null && reader.GetString() is { } urn && Kinds.ContainsKey(urn))
            {
                known = urn;
            }
            else
            {
                reader.Skip();
            }
        }

        return known;
    }

    private static RawEvent Read<T>(ReadOnlyMemory<byte> json, Func<T, RawEvent> map)
        where T : class =>
        map(JsonSerializer.Deserialize<T>(json.Span, Json) ?? throw new InvalidIngestEventException($"{typeof(T).Name} is null"));

    private sealed record KnownEvent(string Urn, EventKind Kind, Func<Guid, ReadOnlyMemory<byte>, RawEvent> Read);

    private static RawEvent Check(RawEvent e)
    {
        // Missing fields deserialize as defaults; none of these is a real value.
        if (e.CategoryId <= 0)
        {
            throw new InvalidIngestEventException($"{e.Kind}: categoryId must be a positive id, got {e.CategoryId}");
        }

        if (e.ProductId is <= 0)
        {
            throw new InvalidIngestEventException($"{e.Kind}: productId must be a positive id, got {e.ProductId}");
        }

        if (e.OccurredAt == default)
        {
            throw new InvalidIngestEventException($"{e.Kind}: occurredAt is missing");
        }

        return e;
    }
}

/// <summary>Why a delivery was not stored: a short code (the fault's exception type) and a readable reason.</summary>
public readonly record struct IngestRefusal(string Code, string Reason, string? MessageType);

/// <summary>An event whose fields are present but not possible (a zero id, no timestamp).</summary>
public sealed class InvalidIngestEventException(string message) : Exception(message);
