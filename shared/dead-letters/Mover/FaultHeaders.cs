namespace Platform.DeadLetters.Mover;

/// <summary>
/// Headers written by MassTransit 8.5 when it moves a message to <c>&lt;queue&gt;_error</c> (the whole set is pinned by
/// DeadLetterCaptureTests from real faults), and which of them a replay drops.
/// </summary>
internal static class FaultHeaders
{
    public const string ExceptionType = "MT-Fault-ExceptionType";
    public const string Message = "MT-Fault-Message";
    public const string StackTrace = "MT-Fault-StackTrace";
    public const string ConsumerType = "MT-Fault-ConsumerType";
    public const string MessageType = "MT-Fault-MessageType";
    public const string InputAddress = "MT-Fault-InputAddress";
    public const string Timestamp = "MT-Fault-Timestamp";
    public const string Reason = "MT-Reason";

    /// <summary>
    /// Headers added on the way to the error queue, not by the original sender: fault details, the faulting host
    /// (<c>MT-Host-*</c>), RabbitMQ.Client's confirm bookkeeping (<c>x-dotnet-pub-seq-no</c>) and MassTransit's
    /// redelivery counter, which would otherwise deny a replayed message its retries. A replay drops them, and a
    /// body hash (messages without an id) ignores them, so the same message failing again hashes the same.
    /// </summary>
    public static bool AddedByFailure(string name) =>
        name.StartsWith("MT-Fault-", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("MT-Host-", StringComparison.OrdinalIgnoreCase)
        || name.Equals(Reason, StringComparison.OrdinalIgnoreCase)
        || name.Equals("MT-Redelivery-Count", StringComparison.OrdinalIgnoreCase)
        || name.Equals("x-dotnet-pub-seq-no", StringComparison.OrdinalIgnoreCase);
}
