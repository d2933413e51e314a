using System.Buffers;
using System.Diagnostics;
using System.Net.Mime;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using MassTransit;

namespace Platform.Messaging.Outbox;

/// <summary>
/// Publishes a claimed batch through MassTransit, every message in flight at once (the RabbitMQ transport waits for
/// each publisher confirm, so a completed Publish means the broker has the message), and sorts each outcome into
/// published, failed because of the message (counts against it), or failed because of the broker (does not).
/// </summary>
internal sealed class OutboxPublisher(IBusControl bus, TimeSpan publishTimeout)
{
    private const int MaxErrorLength = 2_000;

    public async Task<PublishResult[]> PublishAsync(IReadOnlyList<OutboxRow> rows, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(publishTimeout);
        var tasks = new Task<PublishResult>[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            tasks[i] = PublishOneAsync(rows[i], timeout.Token);
        }

        var results = await Task.WhenAll(tasks);

        // An exception no rule recognises is the message's fault only while the bus itself is healthy.
        var busHealthy = new Lazy<bool>(() => bus.CheckHealth().Status == BusHealthStatus.Healthy);
        for (var i = 0; i < results.Length; i++)
        {
            if (results[i] is { Kind: PublishResultKind.Unclassified, Exception: { } e })
            {
                results[i] = busHealthy.Value ? PublishResult.MessageFailed(Describe(e)) : PublishResult.BrokerFailed(e);
            }
        }

        return results;
    }

    private async Task<PublishResult> PublishOneAsync(OutboxRow row, CancellationToken cancellationToken)
    {
        object message;
        Type type;
        Dictionary<string, string> headers;
        try
        {
            (message, type) = OutboxJson.Deserialize(row.MessageType, row.Payload);
            headers = OutboxJson.ParseHeaders(row.Headers);
        }
        catch (Exception e) when (e is OutboxPayloadException or JsonException)
        {
            return PublishResult.MessageFailed(Describe(e));
        }

        using var activity = StartActivity(row, headers);
        try
        {
            await bus.Publish(message, type, Pipe.Execute<PublishContext>(context =>
            {
                // The outbox id is the message id: a republish after a crash carries the same one, so consumers dedupe.
                context.MessageId = row.MessageId;
                foreach (var (name, value) in headers)
                {
                    context.Headers.Set(name, value);
                }

                context.Serializer = new StoredPayloadSerializer(row.Payload);
            }), cancellationToken);
            return PublishResult.Published;
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            if (cancellationToken.IsCancellationRequested || IsBrokerFailure(e))
            {
                return PublishResult.BrokerFailed(e);
            }

            return e is JsonException or NotSupportedException or System.Runtime.Serialization.SerializationException
                ? PublishResult.MessageFailed(Describe(e))
                : PublishResult.Unclassified(e);
        }
    }

    private static Activity? StartActivity(OutboxRow row, Dictionary<string, string> headers)
    {
        if (!OutboxRelay.ActivitySource.HasListeners())
        {
            return null;
        }

        ActivityContext parent = default;
        if (headers.TryGetValue(OutboxJson.TraceParentHeader, out var traceParent))
        {
            headers.TryGetValue(OutboxJson.TraceStateHeader, out var traceState);
            ActivityContext.TryParse(traceParent, traceState, isRemote: true, out parent);
        }

        var activity = OutboxRelay.ActivitySource.StartActivity("outbox publish", ActivityKind.Producer, parent);
        activity?.SetTag("messaging.message.id", row.MessageId.ToString());
        activity?.SetTag("platform.outbox.message_type", row.MessageType);
        return activity;
    }

    private static bool IsBrokerFailure(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is OperationCanceledException or TimeoutException or ConnectionException or TransportException
                or TransportUnavailableException or IOException or SocketException or ObjectDisposedException
                || e.GetType().Namespace?.StartsWith("RabbitMQ.Client", StringComparison.Ordinal) == true)
            {
                return true;
            }
        }

        return false;
    }

    private static string Describe(Exception e)
    {
        var text = e is OutboxPayloadException ? e.Message : $"{e.GetType().Name}: {e.Message}";
        return text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];
    }
}

/// <summary>
/// MassTransit's JSON envelope (<c>application/vnd.masstransit+json</c>, the shape its System.Text.Json serializer
/// writes and every consumer reads) around the row's stored payload, spliced in as it is: the payload was serialized
/// once, by the writer, with the same camelCase conventions, so serializing the rebuilt object again would only cost
/// CPU (measured with the benchmark runner relay-publish-paths: up to a third more messages per second through
/// MassTransit's publish path on two busy cores). The row is still deserialized first, which is what catches a
/// payload that no longer fits its contract.
/// </summary>
internal sealed class StoredPayloadSerializer(string payload) : IMessageSerializer
{
    private static readonly ContentType EnvelopeContentType = new("application/vnd.masstransit+json");
    private static readonly byte[] Host = HostJson();

    public ContentType ContentType => EnvelopeContentType;

    public MessageBody GetMessageBody<T>(SendContext<T> context)
        where T : class
    {
        var buffer = new ArrayBufferWriter<byte>(512 + payload.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            WriteId(writer, "messageId", context.MessageId);
            WriteId(writer, "requestId", context.RequestId);
            WriteId(writer, "correlationId", context.CorrelationId);
            WriteId(writer, "conversationId", context.ConversationId);
            WriteId(writer, "initiatorId", context.InitiatorId);
            WriteAddress(writer, "sourceAddress", context.SourceAddress);
            WriteAddress(writer, "destinationAddress", context.DestinationAddress);
            WriteAddress(writer, "responseAddress", context.ResponseAddress);
            WriteAddress(writer, "faultAddress", context.FaultAddress);
            writer.WriteStartArray("messageType");
            foreach (var name in MessageTypeCache<T>.MessageTypeNames)
            {
                writer.WriteStringValue(name);
            }

            writer.WriteEndArray();
            writer.WritePropertyName("message");
            writer.WriteRawValue(payload, skipInputValidation: true);
            if (context.TimeToLive is { } timeToLive)
            {
                writer.WriteString("expirationTime", DateTime.UtcNow + timeToLive);
            }

            writer.WriteString("sentTime", context.SentTime ?? DateTime.UtcNow);
            writer.WriteStartObject("headers");
            foreach (var (name, value) in context.Headers.GetAll())
            {
                writer.WritePropertyName(name);
                if (value is string text)
                {
                    writer.WriteStringValue(text);
                }
                else
                {
                    JsonSerializer.Serialize(writer, value, OutboxJson.Options);
                }
            }

            writer.WriteEndObject();
            writer.WritePropertyName("host");
            writer.WriteRawValue(Host, skipInputValidation: true);
            writer.WriteEndObject();
        }

        return new BytesMessageBody(buffer.WrittenSpan.ToArray());
    }

    private static void WriteId(Utf8JsonWriter writer, string name, Guid? id)
    {
        if (id is { } value)
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteAddress(Utf8JsonWriter writer, string name, Uri? address)
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

internal enum PublishResultKind
{
    Published,
    MessageFailed,
    BrokerFailed,
    Unclassified,
}

internal sealed record PublishResult(PublishResultKind Kind, string? Error = null, Exception? Exception = null)
{
    public static readonly PublishResult Published = new(PublishResultKind.Published);

    public static PublishResult MessageFailed(string error) => new(PublishResultKind.MessageFailed, error);

    public static PublishResult BrokerFailed(Exception exception) => new(PublishResultKind.BrokerFailed, exception.Message, exception);

    public static PublishResult Unclassified(Exception exception) => new(PublishResultKind.Unclassified, exception.Message, exception);
}
