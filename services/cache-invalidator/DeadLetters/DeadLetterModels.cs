using System.Text.Json.Nodes;

namespace CacheInvalidator.DeadLetters;

/// <summary>Status of a stored dead letter.</summary>
public static class DeadLetterStatus
{
    public const string Stored = "stored";
    public const string Replayed = "replayed";
    public const string Purged = "purged";
}

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

/// <summary>A page of dead letters, newest failure first; <paramref name="Total"/> counts every match, not just this page.</summary>
public sealed record DeadLetterPage(long Total, IReadOnlyList<DeadLetterSummary> Items);

/// <summary>Everything stored about one dead letter. The body is given as text when it is UTF-8, and always as base64.</summary>
public sealed record DeadLetterDetail(
    DeadLetterSummary DeadLetter,
    string? ContentType,
    JsonObject Properties,
    JsonObject Headers,
    int BodyLength,
    string? BodyText,
    string BodyBase64,
    string? ExceptionStack,
    DateTimeOffset StoredAt,
    DateTimeOffset? PurgedAt,
    string? PurgedBy);

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

/// <summary>What one replay or purge did (or, for a dry run, would do).</summary>
/// <param name="Action"><c>replay</c> or <c>purge</c>.</param>
/// <param name="Selected">Dead letters the selection matched that were stored.</param>
/// <param name="Succeeded">Replayed (publish confirmed, row marked) or purged.</param>
/// <param name="Failed">Replays whose publish was not confirmed; those rows stay stored.</param>
/// <param name="Skipped">Named or selected rows that were not (or no longer) stored.</param>
/// <param name="HistoryId">The history entry, or null for a dry run.</param>
/// <param name="Items">One per row, at most <see cref="DeadLetterService.MaxItems"/>; counts are always complete.</param>
public sealed record DeadLetterOperationResult(
    string Action,
    bool DryRun,
    int Selected,
    int Succeeded,
    int Failed,
    int Skipped,
    long? HistoryId,
    IReadOnlyList<DeadLetterOperationItem> Items,
    bool ItemsTruncated);

/// <summary>
/// One row of an operation; <paramref name="Outcome"/> is <c>replayed</c>, <c>purged</c>, <c>failed</c>, <c>skipped</c>,
/// <c>would-replay</c> or <c>would-purge</c>.
/// </summary>
public sealed record DeadLetterOperationItem(long Id, string MessageId, string Queue, string Outcome, string? Reason);

/// <summary>One audited replay or purge.</summary>
public sealed record DeadLetterHistoryEntry(
    long Id,
    DateTimeOffset At,
    string Actor,
    string Origin,
    string Action,
    JsonObject Selection,
    int Selected,
    int Succeeded,
    int Failed,
    IReadOnlyList<long> DeadLetterIds,
    DateTimeOffset? FinishedAt);

/// <summary>Body of <c>POST /ops/dead-letters/replay</c>: exactly one of ids, group or all; filters narrow group or all.</summary>
public sealed record ReplayRequest(
    IReadOnlyList<long>? Ids = null,
    string? Group = null,
    bool All = false,
    string? Type = null,
    string? Exception = null,
    string? Since = null,
    string? Queue = null,
    bool DryRun = false);

/// <summary>Body of <c>POST /ops/dead-letters/purge</c>; a purge of a group or all needs <c>confirm: true</c>.</summary>
public sealed record PurgeRequest(
    IReadOnlyList<long>? Ids = null,
    string? Group = null,
    bool All = false,
    string? Type = null,
    string? Exception = null,
    string? Since = null,
    string? Queue = null,
    bool DryRun = false,
    bool Confirm = false);
