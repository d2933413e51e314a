using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Caching;
using Platform.DeadLetters.Operations;
using Platform.Messaging.Outbox;

namespace CacheInvalidator.OpsConsole;

/// <summary>
/// The strip at the top of every console page: dead letters waiting and the oldest, each configured schema's outbox
/// backlog, this node's backplane lag, replays succeeded and failed today. Each part is read on its own: a server that is
/// down makes its part say so, not the page fail.
/// </summary>
internal sealed partial class StatusStrip(
    DeadLetterService deadLetters, NpgsqlDataSource dataSource, CacheInspector cache, IOptions<OpsConsoleOptions> options, TimeProvider time,
    ILogger<StatusStrip> logger)
{
    public async Task<Html> RenderAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var parts = new List<Html>();
        var overview = await TryAsync("dead letters", () => deadLetters.OverviewAsync(cancellationToken));
        parts.Add(overview is null
            ? Item("dead letters", "unavailable", "bad", "status-dead-letters")
            : Item("dead letters waiting", overview.Waiting == 0 ? "0" : $"{overview.Waiting} (oldest {Format.Age(now - overview.OldestFailedAt!.Value)})",
                overview.Waiting == 0 ? "ok" : "warn", "status-dead-letters"));
        foreach (var schema in options.Value.OutboxSchemas)
        {
            // Wrapped, so "no outbox table in this database" (null inside) differs from "could not read" (null outside).
            var read = await TryAsync($"outbox {schema}", async () => new Box<OutboxDepth?>(await OutboxProbe.ReadAsync(dataSource, schema, cancellationToken)));
            parts.Add(read switch
            {
                null => Item($"outbox {schema}", "unavailable", "bad", $"status-outbox-{schema}"),
                { Value: null } => Item($"outbox {schema}", "no outbox", "warn", $"status-outbox-{schema}"),
                { Value: { } depth } => Item($"outbox {schema}", depth.OldestAge is { } age ? $"{depth.Depth} (oldest {Format.Age(age)})" : "0",
                    depth.Depth == 0 ? "ok" : "warn", $"status-outbox-{schema}"),
            });
        }

        var backplane = await TryAsync("backplane", cache.BackplaneAsync);
        parts.Add(backplane is null
            ? Item("backplane", "unavailable", "bad", "status-backplane")
            : Item("backplane lag", $"{backplane.Lag} (seq {backplane.Sequence}{(backplane.Hearing ? "" : ", deaf")})",
                backplane.Hearing && backplane.Lag == 0 ? "ok" : "warn", "status-backplane"));
        parts.Add(overview is null
            ? Item("replays today", "unavailable", "bad", "status-replays")
            : Item("replays today", $"{overview.ReplaysSucceeded} ok, {overview.ReplaysFailed} failed", overview.ReplaysFailed == 0 ? "ok" : "bad", "status-replays"));
        return Html.Of($"<ul class=\"status\" aria-label=\"Status\">{Html.Join(parts)}</ul>");
    }

    private sealed record Box<T>(T Value);

    private static Html Item(string label, string value, string state, string id) =>
        Html.Of($"<li id=\"{id}\" class=\"{state}\"><span class=\"label\">{label}</span> <strong>{value}</strong></li>");

    private async Task<T?> TryAsync<T>(string part, Func<Task<T>> read)
        where T : class?
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or StackExchange.Redis.RedisException)
        {
            LogPartFailed(part, e.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ops console status: {Part} unavailable: {Reason}")]
    private partial void LogPartFailed(string part, string reason);
}
