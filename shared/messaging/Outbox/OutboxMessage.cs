using System.Diagnostics;
using System.Text.Json;
using Platform.Contracts;

namespace Platform.Messaging.Outbox;

/// <summary>
/// One row of a service's <c>&lt;schema&gt;.outbox</c> table: an event waiting to be published, or published
/// (<see cref="DispatchedAt"/>), or moved aside after failing too often (<see cref="FailedAt"/>). Create rows with
/// <see cref="Create"/> (or <c>dbContext.AddOutboxMessage</c>, <see cref="OutboxWriter"/>); the relay owns the rest.
/// </summary>
public sealed class OutboxMessage
{
    /// <summary>Identity: the relay publishes in this order.</summary>
    public long Id { get; set; }

    /// <summary>Time-ordered (version 7) Guid; becomes the MassTransit MessageId, so consumers can dedupe on it.</summary>
    public Guid MessageId { get; set; }

    /// <summary>Stable contract name from <see cref="MessageTypes"/>, e.g. <c>catalog.product-created.v1</c>.</summary>
    public string MessageType { get; set; } = "";

    /// <summary>The event as JSON (System.Text.Json web defaults), stored as <c>jsonb</c>.</summary>
    public string Payload { get; set; } = "";

    /// <summary>JSON object of string headers: <c>source</c>, and <c>traceparent</c>/<c>tracestate</c> of the writer's trace.</summary>
    public string? Headers { get; set; }

    /// <summary>Set by the database (<c>now()</c>, the writing transaction's start).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the broker confirmed the message; null while it waits.</summary>
    public DateTimeOffset? DispatchedAt { get; set; }

    /// <summary>Failed publish attempts caused by the message itself (broker outages do not count).</summary>
    public int Attempts { get; set; }

    /// <summary>Why the last attempt failed.</summary>
    public string? LastError { get; set; }

    /// <summary>Not retried before this time (backoff after a failed attempt).</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>When the message was moved aside after too many attempts; the relay never picks it up again.</summary>
    public DateTimeOffset? FailedAt { get; set; }

    /// <summary>
    /// Serialises <paramref name="event"/> (a contract registered in <see cref="MessageTypes"/>) into a new row with a
    /// fresh time-ordered message id, the <paramref name="source"/> header and the trace context of <see cref="Activity.Current"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The event's type is not a registered contract.</exception>
    public static OutboxMessage Create(object @event, string source)
    {
        ArgumentNullException.ThrowIfNull(@event);
        ArgumentException.ThrowIfNullOrEmpty(source);
        var type = @event.GetType();
        return new OutboxMessage
        {
            MessageId = Guid.CreateVersion7(),
            MessageType = MessageTypes.NameOf(type),
            Payload = JsonSerializer.Serialize(@event, type, OutboxJson.Options),
            Headers = OutboxJson.Headers(source, Activity.Current),
        };
    }
}
