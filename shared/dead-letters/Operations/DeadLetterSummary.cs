namespace Platform.DeadLetters.Operations;

/// <summary>One dead letter in a list (no body, no stack).</summary>
public sealed record DeadLetterSummary(
    long Id,
    string Status,
    string SourceQueue,
    string OriginalQueue,
    string MessageId,
    string? MessageType,
    string? ExceptionType,
    string? ExceptionMessage,
    string? ConsumerType,
    string Fingerprint,
    DateTimeOffset FirstFailedAt,
    DateTimeOffset LastFailedAt,
    int FailureCount,
    int ReplayCount,
    DateTimeOffset? LastReplayedAt,
    string? LastReplayedBy);
