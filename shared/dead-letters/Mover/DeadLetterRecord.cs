using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Messaging.Wire;
using RabbitMQ.Client;

namespace Platform.DeadLetters.Mover;

/// <summary>One delivery from an error queue, ready to be stored.</summary>
internal sealed record DeadLetterRecord(
    string SourceQueue,
    string OriginalQueue,
    string MessageId,
    string? MessageType,
    string? ContentType,
    JsonObject Properties,
    JsonObject Headers,
    byte[] Body,
    string? ExceptionType,
    string? ExceptionMessage,
    string? ExceptionStack,
    string? ConsumerType,
    string Fingerprint,
    DateTimeOffset FailedAt)
{
    /// <summary>Prefix of the id given to a message that arrived without one.</summary>
    public const string HashIdPrefix = "sha256:";

    /// <summary>MassTransit's queue of faulted messages: <c>{queue}_error</c>.</summary>
    public const string ErrorSuffix = "_error";

    /// <summary>MassTransit's queue of messages no consumer took: <c>{queue}_skipped</c>.</summary>
    public const string SkippedSuffix = "_skipped";

    /// <summary>The exception type recorded for a skipped message (it has none of its own).</summary>
    public const string SkippedType = "MassTransit.Skipped";

    // Indexed columns: a B-tree entry must stay far below its ~2.7 kB limit whatever a sender puts in a header.
    private const int MaxIndexedLength = 500;

    /// <summary>Reads a delivery from <paramref name="sourceQueue"/>. Never throws on odd content: odd content is what dead letters are.</summary>
    public static DeadLetterRecord FromDelivery(string sourceQueue, IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, DateTimeOffset receivedAt)
    {
        var table = properties.IsHeadersPresent() ? properties.Headers : null;
        string? Header(string name) => table is not null && table.TryGetValue(name, out var value) ? Blank(AmqpValues.AsText(value)) : null;

        var bytes = body.ToArray();
        // A plain JSON body is the message itself: a member called messageId or messageType in it is the sender's data,
        // not an envelope's. Its type is what the sender named (AMQP type, or MassTransit's raw-message header).
        var plain = string.Equals(Blank(properties.ContentType)?.Split(';')[0].Trim(), PlainJson.ContentType, StringComparison.OrdinalIgnoreCase);
        var envelope = plain ? default : Envelope.Read(bytes);
        var named = plain ? Blank(properties.Type) ?? Header(PlainJson.MessageTypeHeader)?.Split(';')[0] : null;
        var consumerType = Clip(Header(FaultHeaders.ConsumerType));
        var messageType = Clip(Header(FaultHeaders.MessageType) ?? envelope.MessageType ?? (named is null ? null : MessageUrns.TypeNameOf(named)) ?? Blank(properties.Type));
        var skipped = sourceQueue.EndsWith(SkippedSuffix, StringComparison.Ordinal) && Header(FaultHeaders.ExceptionType) is null;
        // MassTransit moves a message no consumer of the endpoint takes (an unknown or newer message type) to _skipped,
        // without fault headers: the row says so, next to the other failures. (Making such messages fault instead, with
        // MassTransit's FaultDeadLetterFilter, nacks them back to the queue forever on RabbitMQ: a poison loop.)
        var exceptionType = skipped ? SkippedType : Clip(Header(FaultHeaders.ExceptionType));
        var reason = skipped
            ? Clip($"no consumer on {WithoutErrorSuffix(sourceQueue)} takes message type {messageType ?? "(none)"}; MassTransit skipped it")
            : Header(FaultHeaders.Message);
        var contentType = Blank(properties.ContentType);
        var headers = AmqpValues.ToJson(table);
        var props = PropertiesOf(properties);
        var messageId = Clip(Blank(properties.MessageId) ?? envelope.MessageId) ?? HashId(bytes, props, headers);

        return new DeadLetterRecord(
            sourceQueue,
            QueueOf(Header(FaultHeaders.InputAddress)) ?? WithoutErrorSuffix(sourceQueue),
            messageId,
            messageType,
            contentType,
            props,
            headers,
            bytes,
            exceptionType,
            reason,
            Header(FaultHeaders.StackTrace),
            consumerType,
            FingerprintOf(exceptionType, messageType, consumerType),
            ParseTime(Header(FaultHeaders.Timestamp)) ?? receivedAt);
    }

    /// <summary>The group of a failure: same exception type, message type and consumer, same cause (most of the time).</summary>
    public static string FingerprintOf(string? exceptionType, string? messageType, string? consumerType)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{exceptionType}\n{messageType}\n{consumerType}"));
        return Convert.ToHexStringLower(hash)[..16];
    }

    /// <summary>MassTransit's error queue for <c>q</c> is <c>q_error</c>.</summary>
    public static string WithoutErrorSuffix(string queue) =>
        queue.EndsWith(ErrorSuffix, StringComparison.Ordinal) ? queue[..^ErrorSuffix.Length]
        : queue.EndsWith(SkippedSuffix, StringComparison.Ordinal) ? queue[..^SkippedSuffix.Length]
        : queue;

    /// <summary>
    /// The id of a message without one: its body, and the properties and headers its sender set that a replay sends
    /// again unchanged (not what the failure added, not delivery mode, user-id or expiration, which a replay may
    /// change), so the same message failing again — after a replay, say — is recognised as the same row.
    /// </summary>
    private static string HashId(byte[] body, JsonObject properties, JsonObject headers)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(body);
        hash.AppendData("\0"u8);
        var stable = properties.Where(p => p.Key is not ("deliveryMode" or "userId" or "expiration")).Select(p => ("(" + p.Key + ")", p.Value))
            .Concat(headers.Where(h => !FaultHeaders.AddedByFailure(h.Key)).Select(h => (h.Key, h.Value)));
        foreach (var (name, value) in stable.OrderBy(h => h.Item1, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{name}={value?.ToJsonString()}\n"));
        }

        return HashIdPrefix + Convert.ToHexStringLower(hash.GetHashAndReset())[..32];
    }

    private static JsonObject PropertiesOf(IReadOnlyBasicProperties p)
    {
        var json = new JsonObject();
        void Add(bool present, string name, JsonNode? value)
        {
            if (present)
            {
                json[name] = value;
            }
        }

        Add(p.IsMessageIdPresent(), "messageId", p.MessageId);
        Add(p.IsCorrelationIdPresent(), "correlationId", p.CorrelationId);
        Add(p.IsContentTypePresent(), "contentType", p.ContentType);
        Add(p.IsContentEncodingPresent(), "contentEncoding", p.ContentEncoding);
        Add(p.IsTypePresent(), "type", p.Type);
        Add(p.IsAppIdPresent(), "appId", p.AppId);
        Add(p.IsUserIdPresent(), "userId", p.UserId);
        Add(p.IsReplyToPresent(), "replyTo", p.ReplyTo);
        Add(p.IsExpirationPresent(), "expiration", p.Expiration);
        Add(p.IsDeliveryModePresent(), "deliveryMode", (int)p.DeliveryMode);
        Add(p.IsPriorityPresent(), "priority", (int)p.Priority);
        Add(p.IsTimestampPresent(), "timestamp", p.Timestamp.UnixTime);
        foreach (var (name, value) in json.ToList())
        {
            if (value is JsonValue v && v.TryGetValue<string>(out var text))
            {
                json[name] = AmqpValues.Text(text);
            }
        }

        return json;
    }

    /// <summary><c>rabbitmq://host:port/vhost/queue?options</c> → <c>queue</c>.</summary>
    private static string? QueueOf(string? address)
    {
        if (address is null || !Uri.TryCreate(address, UriKind.Absolute, out var uri))
        {
            return null;
        }

        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments.Length == 0 ? null : Clip(Blank(Uri.UnescapeDataString(segments[^1])));
    }

    private static DateTimeOffset? ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) ? time : null;

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : AmqpValues.Text(value);

    private static string? Clip(string? value) => value is { Length: > MaxIndexedLength } ? value[..MaxIndexedLength] : value;

    /// <summary>The id and type MassTransit writes into its JSON envelope, for messages whose transport properties lack them.</summary>
    private readonly record struct Envelope(string? MessageId, string? MessageType)
    {
        public static Envelope Read(byte[] body)
        {
            var start = body.AsSpan().TrimStart(" \t\r\n"u8);
            if (start.IsEmpty || start[0] != (byte)'{')
            {
                return default;
            }

            try
            {
                using var document = JsonDocument.Parse(body);
                var root = document.RootElement;
                var id = root.TryGetProperty(JsonEnvelope.MessageId.EncodedUtf8Bytes, out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                var urn = root.TryGetProperty(JsonEnvelope.MessageType.EncodedUtf8Bytes, out var t) && t.ValueKind == JsonValueKind.Array
                          && t.GetArrayLength() > 0 && t[0].ValueKind == JsonValueKind.String
                    ? t[0].GetString()
                    : null;
                return new Envelope(Blank(id), Blank(urn) is { } type ? MessageUrns.TypeNameOf(type) : null);
            }
            catch (JsonException)
            {
                return default;
            }
        }

    }
}
