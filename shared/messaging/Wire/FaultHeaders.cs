using System.Globalization;
using MassTransit;

namespace Platform.Messaging.Wire;

/// <summary>
/// The headers MassTransit 8.5 writes when it moves a message to <c>&lt;queue&gt;_error</c> (names from its own
/// <see cref="MessageHeaders"/>; the whole set is pinned by DeadLetterCaptureTests from real faults), which of them a
/// replay drops, and how a consumer that faults a message itself (the analytics ingest) writes the same set.
/// </summary>
public static class FaultHeaders
{
    public const string ExceptionType = MessageHeaders.FaultExceptionType;
    public const string Message = MessageHeaders.FaultMessage;
    public const string StackTrace = MessageHeaders.FaultStackTrace;
    public const string ConsumerType = MessageHeaders.FaultConsumerType;
    public const string MessageType = MessageHeaders.FaultMessageType;
    public const string InputAddress = MessageHeaders.FaultInputAddress;
    public const string Timestamp = MessageHeaders.FaultTimestamp;
    public const string Reason = MessageHeaders.Reason;

    /// <summary><see cref="Reason"/> of a message whose consumer threw.</summary>
    public const string FaultReason = "fault";

    /// <summary><see cref="Reason"/> of a message no consumer took (moved to <c>_skipped</c>).</summary>
    public const string DeadLetterReason = "dead-letter";

    private const string FaultPrefix = "MT-Fault-";
    private const string HostPrefix = "MT-Host-";

    // RabbitMQ.Client's publisher-confirm bookkeeping, left on the message when MassTransit republishes it to _error.
    private const string PublishSequenceNumber = "x-dotnet-pub-seq-no";

    /// <summary>
    /// Headers added on the way to the error queue, not by the original sender: fault details, the faulting host
    /// (<c>MT-Host-*</c>), RabbitMQ.Client's confirm bookkeeping (<c>x-dotnet-pub-seq-no</c>) and MassTransit's
    /// redelivery counter, which would otherwise deny a replayed message its retries. A replay drops them, and a
    /// body hash (messages without an id) ignores them, so the same message failing again hashes the same.
    /// </summary>
    public static bool AddedByFailure(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.StartsWith(FaultPrefix, StringComparison.OrdinalIgnoreCase)
            || name.StartsWith(HostPrefix, StringComparison.OrdinalIgnoreCase)
            || name.Equals(Reason, StringComparison.OrdinalIgnoreCase)
            || name.Equals(MessageHeaders.RedeliveryCount, StringComparison.OrdinalIgnoreCase)
            || name.Equals(PublishSequenceNumber, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Adds the fault headers MassTransit would write had <paramref name="consumerType"/> thrown
    /// <paramref name="exceptionType"/>, so error-queue readers (the dead-letter mover, people) see no difference.
    /// </summary>
    /// <param name="headers">The message's headers, changed in place.</param>
    /// <param name="exceptionType">Full name of the exception type, or a refusal code.</param>
    /// <param name="message">Why, in words.</param>
    /// <param name="stackTrace">Where it failed.</param>
    /// <param name="consumerType">Full name of the consumer that refused it.</param>
    /// <param name="inputAddress">The address of the queue it was consumed from (a replay goes back there).</param>
    /// <param name="failedAt">When.</param>
    /// <param name="messageUrn">The message's URN when it was read, else null.</param>
    public static void AddFault(
        IDictionary<string, object?> headers, string exceptionType, string message, string stackTrace, string? consumerType, string inputAddress,
        DateTimeOffset failedAt, string? messageUrn)
    {
        ArgumentNullException.ThrowIfNull(headers);
        headers[Reason] = FaultReason;
        headers[ExceptionType] = exceptionType;
        headers[Message] = message;
        headers[StackTrace] = stackTrace;
        headers[ConsumerType] = consumerType;
        headers[InputAddress] = inputAddress;
        headers[Timestamp] = failedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        if (messageUrn is not null)
        {
            headers[MessageType] = MessageUrns.TypeNameOf(messageUrn);
        }
    }
}
