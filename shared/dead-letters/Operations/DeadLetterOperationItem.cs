namespace Platform.DeadLetters.Operations;

/// <summary>
/// One row of an operation; <paramref name="Outcome"/> is <c>replayed</c>, <c>purged</c>, <c>failed</c>, <c>skipped</c>, <c>refused</c>,
/// <c>would-replay</c> or <c>would-purge</c>.
/// </summary>
public sealed record DeadLetterOperationItem(long Id, string MessageId, string Queue, string Outcome, string? Reason);
