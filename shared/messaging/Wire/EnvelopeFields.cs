namespace Platform.Messaging.Wire;

/// <summary>The fields of a MassTransit envelope (<see cref="JsonEnvelope"/>) other than the message and its headers.</summary>
/// <param name="MessageTypes">The message's URNs (<see cref="MessageUrns"/>): its type first, then the types it implements.</param>
public sealed record EnvelopeFields(IReadOnlyList<string> MessageTypes)
{
    public Guid? MessageId { get; init; }

    public Guid? RequestId { get; init; }

    public Guid? CorrelationId { get; init; }

    public Guid? ConversationId { get; init; }

    public Guid? InitiatorId { get; init; }

    public Uri? SourceAddress { get; init; }

    public Uri? DestinationAddress { get; init; }

    public Uri? ResponseAddress { get; init; }

    public Uri? FaultAddress { get; init; }

    public DateTime? ExpirationTime { get; init; }

    public DateTime SentTime { get; init; } = DateTime.UtcNow;
}
