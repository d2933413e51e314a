using System.Buffers;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using MassTransit;
using MassTransit.Serialization;

namespace Platform.Messaging.Wire;

/// <summary>
/// MassTransit's JSON envelope (<c>application/vnd.masstransit+json</c>): the shape its System.Text.Json serializer
/// writes and every consumer here reads, with the message itself under <c>message</c>. Member names come from
/// MassTransit's own <see cref="MessageEnvelope"/>, camelCased as its serializer writes them.
/// </summary>
public static class JsonEnvelope
{
    /// <summary>The envelope's content type (a constant, so it can be a default value; a test holds it to MassTransit's).</summary>
    public const string ContentType = "application/vnd.masstransit+json";

    public static readonly JsonEncodedText MessageId = Member(nameof(MessageEnvelope.MessageId));
    public static readonly JsonEncodedText RequestId = Member(nameof(MessageEnvelope.RequestId));
    public static readonly JsonEncodedText CorrelationId = Member(nameof(MessageEnvelope.CorrelationId));
    public static readonly JsonEncodedText ConversationId = Member(nameof(MessageEnvelope.ConversationId));
    public static readonly JsonEncodedText InitiatorId = Member(nameof(MessageEnvelope.InitiatorId));
    public static readonly JsonEncodedText SourceAddress = Member(nameof(MessageEnvelope.SourceAddress));
    public static readonly JsonEncodedText DestinationAddress = Member(nameof(MessageEnvelope.DestinationAddress));
    public static readonly JsonEncodedText ResponseAddress = Member(nameof(MessageEnvelope.ResponseAddress));
    public static readonly JsonEncodedText FaultAddress = Member(nameof(MessageEnvelope.FaultAddress));

    /// <summary>An array of URNs (<see cref="MessageUrns"/>): the message's type, then the types it implements.</summary>
    public static readonly JsonEncodedText MessageType = Member(nameof(MessageEnvelope.MessageType));

    public static readonly JsonEncodedText Message = Member(nameof(MessageEnvelope.Message));
    public static readonly JsonEncodedText ExpirationTime = Member(nameof(MessageEnvelope.ExpirationTime));
    public static readonly JsonEncodedText SentTime = Member(nameof(MessageEnvelope.SentTime));
    public static readonly JsonEncodedText Headers = Member(nameof(MessageEnvelope.Headers));
    public static readonly JsonEncodedText Host = Member(nameof(MessageEnvelope.Host));

    private static readonly JsonSerializerOptions HeaderValues = new(JsonSerializerDefaults.Web);
    private static readonly byte[] HostInfo = HostJson();

    /// <summary>
    /// Writes the envelope of <paramref name="context"/> around <paramref name="messageJson"/>, spliced in as it is:
    /// the outbox relay's payload was serialized once already, by its writer.
    /// </summary>
    public static byte[] Write<T>(SendContext<T> context, string messageJson)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(messageJson);
        return Write(
            new EnvelopeFields(MessageTypeCache<T>.MessageTypeNames)
            {
                MessageId = context.MessageId,
                RequestId = context.RequestId,
                CorrelationId = context.CorrelationId,
                ConversationId = context.ConversationId,
                InitiatorId = context.InitiatorId,
                SourceAddress = context.SourceAddress,
                DestinationAddress = context.DestinationAddress,
                ResponseAddress = context.ResponseAddress,
                FaultAddress = context.FaultAddress,
                ExpirationTime = context.TimeToLive is { } timeToLive ? DateTime.UtcNow + timeToLive : null,
                SentTime = context.SentTime ?? DateTime.UtcNow,
            },
            messageJson,
            context.Headers.GetAll());
    }

    /// <summary>
    /// Writes an envelope of <paramref name="fields"/> around <paramref name="messageJson"/> (spliced in as it is), with
    /// <paramref name="headers"/>: what a publisher that talks AMQP itself (the outbox relay) sends.
    /// </summary>
    public static byte[] Write(EnvelopeFields fields, string messageJson, IEnumerable<KeyValuePair<string, object>> headers)
    {
        ArgumentNullException.ThrowIfNull(fields);
        ArgumentNullException.ThrowIfNull(messageJson);
        ArgumentNullException.ThrowIfNull(headers);
        var buffer = new ArrayBufferWriter<byte>(512 + messageJson.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            WriteId(writer, MessageId, fields.MessageId);
            WriteId(writer, RequestId, fields.RequestId);
            WriteId(writer, CorrelationId, fields.CorrelationId);
            WriteId(writer, ConversationId, fields.ConversationId);
            WriteId(writer, InitiatorId, fields.InitiatorId);
            WriteAddress(writer, SourceAddress, fields.SourceAddress);
            WriteAddress(writer, DestinationAddress, fields.DestinationAddress);
            WriteAddress(writer, ResponseAddress, fields.ResponseAddress);
            WriteAddress(writer, FaultAddress, fields.FaultAddress);
            writer.WriteStartArray(MessageType);
            foreach (var name in fields.MessageTypes)
            {
                writer.WriteStringValue(name);
            }

            writer.WriteEndArray();
            writer.WritePropertyName(Message);
            writer.WriteRawValue(messageJson, skipInputValidation: true);
            if (fields.ExpirationTime is { } expiration)
            {
                writer.WriteString(ExpirationTime, expiration);
            }

            writer.WriteString(SentTime, fields.SentTime);
            writer.WriteStartObject(Headers);
            foreach (var (name, value) in headers)
            {
                writer.WritePropertyName(name);
                if (value is string text)
                {
                    writer.WriteStringValue(text);
                }
                else
                {
                    JsonSerializer.Serialize(writer, value, HeaderValues);
                }
            }

            writer.WriteEndObject();
            writer.WritePropertyName(Host);
            writer.WriteRawValue(HostInfo, skipInputValidation: true);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// A minimal envelope of <typeparamref name="T"/> around <paramref name="messageJson"/> (written as it is, valid or
    /// not), as a publisher without MassTransit would send it: for tools and test fixtures.
    /// </summary>
    public static string Create<T>(string messageJson, Guid? messageId) => Create(MessageUrns.For<T>(), messageJson, messageId);

    /// <summary>A minimal envelope naming <paramref name="messageUrn"/> (which may name no type at all) around <paramref name="messageJson"/>.</summary>
    public static string Create(string messageUrn, string messageJson, Guid? messageId)
    {
        ArgumentNullException.ThrowIfNull(messageUrn);
        ArgumentNullException.ThrowIfNull(messageJson);
        var buffer = new ArrayBufferWriter<byte>(256 + messageJson.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            WriteId(writer, MessageId, messageId);
            writer.WriteStartArray(MessageType);
            writer.WriteStringValue(messageUrn);
            writer.WriteEndArray();
            writer.WritePropertyName(Message);
            writer.WriteRawValue(messageJson, skipInputValidation: true);
            writer.WriteString(SentTime, DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            writer.WriteStartObject(Headers);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static JsonEncodedText Member(string property) => JsonEncodedText.Encode(JsonNamingPolicy.CamelCase.ConvertName(property));

    private static void WriteId(Utf8JsonWriter writer, JsonEncodedText name, Guid? id)
    {
        if (id is { } value)
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteAddress(Utf8JsonWriter writer, JsonEncodedText name, Uri? address)
    {
        if (address is not null)
        {
            writer.WriteString(name, address.ToString());
        }
    }

    // What MassTransit puts in every envelope's "host": for diagnostics only, identical for every message of a process.
    private static byte[] HostJson()
    {
        var entry = Assembly.GetEntryAssembly()?.GetName();
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("machineName", Environment.MachineName);
            writer.WriteString("processName", Environment.ProcessPath is { } path ? Path.GetFileNameWithoutExtension(path) : "");
            writer.WriteNumber("processId", Environment.ProcessId);
            writer.WriteString("assembly", entry?.Name ?? "");
            writer.WriteString("assemblyVersion", entry?.Version?.ToString() ?? "");
            writer.WriteString("frameworkVersion", Environment.Version.ToString());
            writer.WriteString("massTransitVersion", typeof(IBus).Assembly.GetName().Version?.ToString() ?? "");
            writer.WriteString("operatingSystemVersion", RuntimeInformation.OSDescription);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
