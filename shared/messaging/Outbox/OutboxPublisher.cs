using System.Diagnostics;
using System.Net.Mime;
using System.Net.Sockets;
using System.Text.Json;
using MassTransit;
using Platform.Messaging.Wire;

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
/// MassTransit's JSON envelope (<see cref="JsonEnvelope"/>) around the row's stored payload, spliced in as it is: the
/// payload was serialized once, by the writer, with the same camelCase conventions, so serializing the rebuilt object
/// again would only cost CPU (measured with the benchmark runner relay-publish-paths: up to a third more messages per
/// second through MassTransit's publish path on two busy cores). The row is still deserialized first, which is what
/// catches a payload that no longer fits its contract.
/// </summary>
internal sealed class StoredPayloadSerializer(string payload) : IMessageSerializer
{
    private static readonly ContentType EnvelopeContentType = new(JsonEnvelope.ContentType);

    public ContentType ContentType => EnvelopeContentType;

    public MessageBody GetMessageBody<T>(SendContext<T> context)
        where T : class => new BytesMessageBody(JsonEnvelope.Write(context, payload));
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
