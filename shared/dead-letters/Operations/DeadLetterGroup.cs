namespace Platform.DeadLetters.Operations;

/// <summary>Stored dead letters that share a failure fingerprint (exception type + message type + consumer).</summary>
public sealed record DeadLetterGroup(
    string Fingerprint,
    long Count,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    string? ExceptionType,
    string? MessageType,
    string? ConsumerType,
    IReadOnlyList<string> Queues,
    long LatestId,
    string? LatestExceptionMessage);
