namespace Platform.DeadLetters.Operations;

/// <summary>What one replay or purge did (or, for a dry run, would do).</summary>
/// <param name="Action"><c>replay</c> or <c>purge</c>.</param>
/// <param name="Selected">Dead letters the selection matched that were stored.</param>
/// <param name="Succeeded">Replayed (publish confirmed, row marked) or purged.</param>
/// <param name="Failed">Replays whose publish was not confirmed; those rows stay stored.</param>
/// <param name="Skipped">Named or selected rows that were not (or no longer) stored.</param>
/// <param name="HistoryId">The history entry, or null for a dry run.</param>
/// <param name="Refused">
/// Stored rows a replay would not publish because their destination is not a queue of this deployment; they stay
/// stored. Included in <paramref name="Selected"/>.
/// </param>
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
    bool ItemsTruncated,
    int Refused = 0);
