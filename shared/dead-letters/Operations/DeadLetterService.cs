using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.DeadLetters.Monitoring;
using Platform.DeadLetters.Storage;
using Platform.Messaging.Wire;

namespace Platform.DeadLetters.Operations;

/// <summary>
/// The ops operations on the dead-letter store, behind both the HTTP API and the CLI: list, groups, show, history,
/// replay and purge (each with a dry run that changes nothing).
/// </summary>
internal sealed partial class DeadLetterService(
    DeadLetterStore store,
    DeadLetterPublisher publisher,
    ReplayDestinations destinations,
    DeadLetterMetrics metrics,
    DeadLetterGauge gauge,
    IOptions<DeadLetterOptions> options,
    TimeProvider time,
    ILogger<DeadLetterService> logger)
{
    /// <summary>Rows listed per operation result; the counts always cover all of them.</summary>
    public const int MaxItems = 1000;

    public TimeProvider Time => time;

    public Task<DeadLetterPage> ListAsync(DeadLetterFilter filter, int limit, CancellationToken cancellationToken) =>
        store.ListAsync(filter, limit, cancellationToken);

    public Task<IReadOnlyList<DeadLetterGroup>> GroupsAsync(CancellationToken cancellationToken) => store.GroupsAsync(cancellationToken);

    public Task<DeadLetterDetail?> FindAsync(long id, CancellationToken cancellationToken) => store.FindAsync(id, cancellationToken);

    public Task<IReadOnlyList<DeadLetterHistoryEntry>> HistoryAsync(int limit, CancellationToken cancellationToken) => store.HistoryAsync(limit, cancellationToken);

    /// <summary>Dead letters waiting (and the oldest), and replays succeeded and failed since midnight UTC.</summary>
    public Task<DeadLetterOverview> OverviewAsync(CancellationToken cancellationToken) =>
        store.OverviewAsync(new DateTimeOffset(time.GetUtcNow().UtcDateTime.Date, TimeSpan.Zero), cancellationToken);

    /// <summary>
    /// Publishes the selected stored dead letters to their original queues in batches; a row is marked replayed only
    /// in the transaction that follows its confirm. <paramref name="progress"/> gets (done, total) after each batch.
    /// A row whose destination is not a queue of this deployment (<see cref="ReplayDestinations"/>) is refused: not
    /// published, left stored, named in the result and the history entry, counted and logged.
    /// </summary>
    /// <exception cref="DeadLetterNotFoundException">An id does not exist, or the group never did.</exception>
    public async Task<DeadLetterOperationResult> ReplayAsync(
        DeadLetterSelection selection, bool dryRun, DeadLetterActor actor, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var (selected, skipped) = await ResolveAsync(selection, cancellationToken);
        var refusals = selected.Select(t => (Row: t, Reason: destinations.RefusalOf(t.Queue, t.InputAddress))).Where(r => r.Reason is not null).ToList();
        var targets = selected.Where(t => refusals.All(r => r.Row.Id != t.Id)).ToList();
        var items = new List<DeadLetterOperationItem>(skipped);
        items.AddRange(refusals.Select(r => new DeadLetterOperationItem(r.Row.Id, r.Row.MessageId, r.Row.Queue, "refused", r.Reason)));
        if (dryRun)
        {
            items.AddRange(targets.Select(t => new DeadLetterOperationItem(t.Id, t.MessageId, t.Queue, "would-replay", null)));
            return Result("replay", dryRun: true, selected.Count, 0, 0, skipped.Count, null, items, refusals.Count);
        }

        JsonArray refused = [.. refusals.Select(r => new JsonObject { ["id"] = r.Row.Id, ["queue"] = r.Row.Queue, ["reason"] = r.Reason })];
        var history = await store.BeginHistoryAsync(
            new HistoryStart(time.GetUtcNow(), actor.Name, actor.Origin, "replay", selection.ToJson(), selected.Count, refused), cancellationToken);
        if (refusals.Count > 0)
        {
            foreach (var queue in refusals.GroupBy(r => r.Row.SourceQueue))
            {
                metrics.ReplayRefused(queue.Key, queue.Count());
            }

            LogRefused(actor.Name, actor.Origin, refusals.Count, refusals[0].Row.Id, refusals[0].Reason!, history);
        }

        int replayed = 0, failed = 0, unattempted = 0, skippedLater = 0, done = 0;
        progress?.Report((0, targets.Count));
        foreach (var batch in targets.Chunk(options.Value.ReplayBatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var errors = new Dictionary<long, string>();
            IReadOnlyList<ReplayRow> locked;
            try
            {
                locked = await store.ReplayBatchAsync(
                    [.. batch.Select(t => t.Id)],
                    async locked =>
                    {
                        // Checked again on the locked row: a row replayed meanwhile may have failed again with other headers.
                        var rows = new List<ReplayRow>(locked.Count);
                        foreach (var row in locked)
                        {
                            if (destinations.RefusalOf(row.OriginalQueue, InputAddressOf(row)) is { } reason)
                            {
                                errors[row.Id] = $"refused: {reason}";
                            }
                            else
                            {
                                rows.Add(row);
                            }
                        }

                        var outcome = rows.Count == 0 ? [] : await publisher.PublishAsync(rows, cancellationToken);
                        for (var i = 0; i < rows.Count; i++)
                        {
                            if (outcome[i] is { } error)
                            {
                                errors[rows[i].Id] = error;
                            }
                        }

                        return [.. rows.Where(r => !errors.ContainsKey(r.Id)).Select(r => r.Id)];
                    },
                    actor.Name,
                    history,
                    time.GetUtcNow(),
                    cancellationToken);
            }
            catch (DeadLetterBrokerException e)
            {
                // Nothing of this batch went out; the ones after it would fail the same way.
                var rest = targets.SkipWhile(t => t.Id != batch[0].Id).ToList();
                items.AddRange(rest.Select(t => new DeadLetterOperationItem(t.Id, t.MessageId, t.Queue, "failed", e.Message)));
                unattempted = rest.Count;
                foreach (var queue in rest.GroupBy(t => t.SourceQueue))
                {
                    metrics.ReplayFailed(queue.Key, queue.Count());
                }

                break;
            }

            var lockedIds = locked.ToDictionary(r => r.Id);
            foreach (var target in batch)
            {
                if (!lockedIds.ContainsKey(target.Id))
                {
                    skippedLater++;
                    items.Add(new DeadLetterOperationItem(target.Id, target.MessageId, target.Queue, "skipped", "no longer stored (replayed, purged or being replayed meanwhile)"));
                }
                else if (errors.TryGetValue(target.Id, out var error))
                {
                    failed++;
                    metrics.ReplayFailed(lockedIds[target.Id].SourceQueue, 1);
                    items.Add(new DeadLetterOperationItem(target.Id, target.MessageId, target.Queue, "failed", error));
                }
                else
                {
                    replayed++;
                    metrics.Replayed(lockedIds[target.Id].SourceQueue, 1);
                    items.Add(new DeadLetterOperationItem(target.Id, target.MessageId, target.Queue, "replayed", null));
                }
            }

            done += batch.Length;
            progress?.Report((done, targets.Count));
        }

        await store.FinishHistoryAsync(history, unattempted, time.GetUtcNow(), CancellationToken.None);
        gauge.Nudge();
        LogReplayed(actor.Name, actor.Origin, replayed, failed + unattempted, history);
        return Result("replay", dryRun: false, selected.Count, replayed, failed + unattempted, skipped.Count + skippedLater, history, items, refusals.Count);
    }

    /// <summary>Marks the selected stored dead letters purged (rows are kept for the audit trail), with a history entry.</summary>
    /// <exception cref="DeadLetterNotFoundException">An id does not exist, or the group never did.</exception>
    public async Task<DeadLetterOperationResult> PurgeAsync(DeadLetterSelection selection, bool dryRun, DeadLetterActor actor, CancellationToken cancellationToken)
    {
        var (targets, skipped) = await ResolveAsync(selection, cancellationToken);
        var items = new List<DeadLetterOperationItem>(skipped);
        if (dryRun)
        {
            items.AddRange(targets.Select(t => new DeadLetterOperationItem(t.Id, t.MessageId, t.Queue, "would-purge", null)));
            return Result("purge", dryRun: true, targets.Count, 0, 0, skipped.Count, null, items);
        }

        var now = time.GetUtcNow();
        var (purged, history) = await store.PurgeAsync(
            [.. targets.Select(t => t.Id)], new HistoryStart(now, actor.Name, actor.Origin, "purge", selection.ToJson(), targets.Count), now, cancellationToken);
        var purgedIds = purged.ToDictionary(p => p.Id);
        foreach (var target in targets)
        {
            items.Add(purgedIds.ContainsKey(target.Id)
                ? new DeadLetterOperationItem(target.Id, target.MessageId, target.Queue, "purged", null)
                : new DeadLetterOperationItem(target.Id, target.MessageId, target.Queue, "skipped", "no longer stored (replayed or purged meanwhile)"));
        }

        foreach (var queue in purged.GroupBy(p => p.SourceQueue))
        {
            metrics.Purged(queue.Key, queue.Count());
        }

        gauge.Nudge();
        LogPurged(actor.Name, actor.Origin, purged.Count, history);
        return Result("purge", dryRun: false, targets.Count, purged.Count, 0, skipped.Count + targets.Count - purged.Count, history, items);
    }

    /// <summary>The stored rows a selection covers, and the named rows it skips because they are not stored.</summary>
    private async Task<(List<SelectedRow> Targets, List<DeadLetterOperationItem> Skipped)> ResolveAsync(DeadLetterSelection selection, CancellationToken cancellationToken)
    {
        if (selection.Ids.Count > 0)
        {
            var found = await store.FindRowsAsync(selection.Ids, cancellationToken);
            var missing = selection.Ids.Except(found.Select(r => r.Id)).Order().ToList();
            if (missing.Count > 0)
            {
                throw new DeadLetterNotFoundException("ids", $"no dead letter has id {string.Join(", ", missing)}");
            }

            var ordered = found.OrderBy(r => r.Id).ToList();
            return (
                [.. ordered.Where(r => r.Status == DeadLetterStatus.Stored)],
                [.. ordered.Where(r => r.Status != DeadLetterStatus.Stored).Select(r => new DeadLetterOperationItem(r.Id, r.MessageId, r.Queue, "skipped", $"status is {r.Status}"))]);
        }

        if (selection.Group is { } group && !await store.GroupExistsAsync(group, cancellationToken))
        {
            throw new DeadLetterNotFoundException("group", $"no dead letter was ever in group {group} (see dlq groups)");
        }

        return (await store.SelectStoredAsync(selection.Filter with { Group = selection.Group }, cancellationToken), []);
    }

    private static DeadLetterOperationResult Result(
        string action, bool dryRun, int selected, int succeeded, int failed, int skipped, long? history, List<DeadLetterOperationItem> items, int refused = 0) =>
        new(action, dryRun, selected, succeeded, failed, skipped, history, items.Count > MaxItems ? items[..MaxItems] : items, items.Count > MaxItems, refused);

    private static string? InputAddressOf(ReplayRow row) =>
        row.Headers[FaultHeaders.InputAddress] switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var text) => text,
            var other => other.ToJsonString(),
        };

    [LoggerMessage(Level = LogLevel.Information, Message = "{Actor} ({Origin}) replayed {Replayed} dead letters, {Failed} failed (history {History})")]
    private partial void LogReplayed(string actor, string origin, int replayed, int failed, long history);

    [LoggerMessage(
        Level = LogLevel.Warning,
        Message = "{Actor} ({Origin}) asked to replay {Refused} dead letters whose destination is not a queue of this deployment; refused, they stay stored (first: {Id}, {Reason}; history {History})")]
    private partial void LogRefused(string actor, string origin, int refused, long id, string reason, long history);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Actor} ({Origin}) purged {Purged} dead letters (history {History})")]
    private partial void LogPurged(string actor, string origin, int purged, long history);
}
