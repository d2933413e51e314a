using CacheInvalidator.Invalidation;
using CacheInvalidator.Requests;
using MassTransit;
using Microsoft.AspNetCore.Mvc;
using Platform.Caching;
using Platform.Contracts.Caching;

namespace CacheInvalidator.OpsConsole;

/// <summary>
/// Look up what L2 holds for a key (<see cref="CacheInspector"/>, read-only), and invalidate keys or tags with a reason.
/// An invalidation is not applied here: the page publishes the public <see cref="CacheInvalidationRequested"/> with source
/// <see cref="Source"/> and the signed-in key's name as actor, so it takes the path every other sender's request takes
/// (validation, the consumer, the backplane to every node, the audit of requests).
/// </summary>
internal static partial class CachePages
{
    public const string Source = "ops-console";

    public static void Map(RouteGroupBuilder console)
    {
        console.MapGet("/cache", LookupAsync);
        console.MapPost("/cache/invalidate", InvalidateAsync);
        console.MapGet("/cache/invalidations", RecordAsync);
    }

    private static async Task<IResult> LookupAsync(HttpContext context, ConsolePage page, CacheInspector inspector, string? key)
    {
        key = DeadLetterPages.Blank(key);
        Html result = Html.Empty;
        var status = StatusCodes.Status200OK;
        if (key is not null && !CacheNames.IsValidKey(key))
        {
            result = ConsolePage.Errors([new("key", [$"is not a valid cache key (1-{CacheNames.MaxLength} printable ASCII characters, no spaces)"])]);
            status = StatusCodes.Status400BadRequest;
        }
        else if (key is not null)
        {
            try
            {
                result = await inspector.InspectAsync(key) is { } report ? Report(report) : ConsolePage.Notice("warn", Html.Of($"This node's cache runs without Redis."));
            }
            catch (Exception e) when (e is TimeoutException or StackExchange.Redis.RedisException)
            {
                result = ConsolePage.Notice("bad", Html.Of($"Redis cannot be reached: {e.Message}"));
                status = StatusCodes.Status503ServiceUnavailable;
            }
        }

        return await page.RenderAsync(context, "Cache", Html.Of($"""
            <section aria-labelledby="lookup-title">
              <h2 id="lookup-title">Look up a key</h2>
              <form method="get" action="{ConsolePage.Root}/cache" class="filters">
                <label>Key <input name="key" id="lookup-key" value="{key}" size="60" placeholder="catalog:product:42"></label>
                <button type="submit" id="lookup">Look up</button>
              </form>
              {result}
            </section>
            {InvalidateForm(context, page, key is not null && CacheNames.IsValidKey(key) ? key : "", "", "")}
            """), status);
    }

    private static Html Report(CacheEntryReport report)
    {
        if (!report.InL2)
        {
            return Html.Of($"""
                {ConsolePage.Notice("warn", Html.Of($"Not in L2: Redis holds no entry under {report.Key}."), "lookup-result")}
                <dl class="facts" id="entry">
                  <dt>Sequence now</dt><dd id="sequence">{report.Sequence}</dd>
                  <dt>Key last invalidated at</dt><dd id="key-invalidated">{(report.KeyInvalidatedAt is { } k ? $"seq {k}" : "not remembered")}</dd>
                </dl>
                """);
        }

        var tags = report.Tags.Select(t => Html.Of($"""
            <tr><td><code>{t.Tag}</code></td><td class="num">{t.Version}</td><td>{(t.InvalidatesEntry ? "invalidated after this entry was made" : "ok")}</td></tr>
            """));
        return Html.Of($"""
            {ConsolePage.Notice(report.Valid ? "ok" : "warn", Html.Of($"In L2{(report.Valid ? "" : " but not served as fresh")}."), "lookup-result")}
            <dl class="facts" id="entry">
              <dt>Age</dt><dd id="age">{(report.Age is { } age ? Format.Age(age) : "unknown")}{(report.WrittenAt is { } w ? $" (written {Format.Time(w)})" : "")}</dd>
              <dt>Start sequence</dt><dd id="start-sequence">{report.StartSequence}</dd>
              <dt>Sequence now</dt><dd id="sequence">{report.Sequence}</dd>
              <dt>Fresh until</dt><dd>{Format.Time(report.FreshUntil)}</dd>
              <dt>Fail-safe until</dt><dd>{Format.Time(report.FailSafeUntil)}</dd>
              <dt>Redis TTL</dt><dd>{(report.TimeToLive is { } ttl ? Format.Age(ttl) : "none")}</dd>
              <dt>Expired</dt><dd>{(report.Expired ? "yes (stale, fail-safe only)" : "no")}</dd>
              <dt>ETag</dt><dd><code>{report.ETag ?? "-"}</code></dd>
              <dt>Size</dt><dd>{report.PayloadBytes} bytes</dd>
            </dl>
            <table id="tags">
              <thead><tr><th>Tag</th><th>Version (seq)</th><th>Effect</th></tr></thead>
              <tbody>{Html.Join(tags)}</tbody>
            </table>
            """);
    }

    private static Html InvalidateForm(HttpContext context, ConsolePage page, string keys, string tags, string reason) => Html.Of($"""
        <section aria-labelledby="invalidate-title">
          <h2 id="invalidate-title">Invalidate</h2>
          <p>Publishes a <code>CacheInvalidationRequested</code> (source <code>{Source}</code>, you as actor): the invalidator evicts the keys and
             tags on every node through its usual path. One key or tag per line; up to {InvalidationRequestValidator.MaxKeys} of each.</p>
          <form method="post" action="{ConsolePage.Root}/cache/invalidate" class="stack">{page.Token(context)}
            <label>Keys <textarea name="keys" id="keys" rows="3" cols="60">{keys}</textarea></label>
            <label>Tags <textarea name="tags" id="tags-input" rows="2" cols="60" placeholder="product:42">{tags}</textarea></label>
            <label>Reason <input name="reason" id="reason" value="{reason}" size="60" required maxlength="{InvalidationRequestValidator.MaxReasonLength}"></label>
            <button type="submit" id="invalidate">Invalidate</button>
          </form>
        </section>
        """);

    private static async Task<IResult> InvalidateAsync(
        HttpContext context, ConsolePage page, IPublishEndpoint publisher, [FromForm] string? keys, [FromForm] string? tags, [FromForm] string? reason,
        ILoggerFactory loggers)
    {
        var actor = context.User.Identity?.Name ?? "unknown";
        var request = new CacheInvalidationRequested(Lines(keys), Lines(tags), (reason ?? "").Trim(), Source, actor);
        var errors = new List<KeyValuePair<string, string[]>>();
        if (request.Reason.Length == 0)
        {
            errors.Add(new("reason", ["say why (it is recorded with the request)"]));
        }

        try
        {
            InvalidationRequestValidator.ThrowIfInvalid(request);
        }
        catch (InvalidInvalidationRequestException e)
        {
            errors.Add(new("request", [e.Message]));
        }

        if (errors.Count > 0)
        {
            return await page.RenderAsync(context, "Cache", Html.Of($"""
                {ConsolePage.Errors(errors)}
                {InvalidateForm(context, page, keys ?? "", tags ?? "", reason ?? "")}
                """), StatusCodes.Status400BadRequest);
        }

        // Not the request's token: once the form was accepted, a closed tab must not leave the publish half done.
        await publisher.Publish(request, CancellationToken.None);
        LogRequested(loggers.CreateLogger(typeof(CachePages)), actor, request.Keys.Count, request.Tags.Count, request.Reason);
        var lookups = request.Keys.Select(k => Html.Of($"<li><a href=\"{ConsolePage.Root}/cache?key={Html.Url(k)}\">{k}</a></li>"));
        return await page.RenderAsync(context, "Cache", Html.Of($"""
            {ConsolePage.Notice("ok", Html.Of($"Invalidation requested: {request.Keys.Count} key{(request.Keys.Count == 1 ? "" : "s")}, {request.Tags.Count} tag{(request.Tags.Count == 1 ? "" : "s")}, by {actor}. The invalidator applies it within moments; look the keys up again to see them gone."), "invalidate-result")}
            <ul id="requested-keys">{Html.Join(lookups)}</ul>
            {Html.When(request.Tags.Count > 0, Html.Of($"<p>Tags: <code id=\"requested-tags\">{string.Join(", ", request.Tags)}</code></p>"))}
            {InvalidateForm(context, page, "", "", "")}
            """));
    }

    /// <summary>
    /// The record of applied invalidation requests (every channel: this console, the JSON API, MassTransit and plain JSON
    /// messages), newest first, filtered as <c>GET /ops/cache/invalidations</c> is and with the same messages for bad input.
    /// </summary>
    private static async Task<IResult> RecordAsync(
        HttpContext context, ConsolePage page, InvalidationRequestLog log, TimeProvider time,
        string? key, string? tag, string? actor, string? source, string? channel, string? since, string? before, CancellationToken cancellationToken)
    {
        (key, tag, actor, source, channel, since, before) =
            (DeadLetterPages.Blank(key), DeadLetterPages.Blank(tag), DeadLetterPages.Blank(actor), DeadLetterPages.Blank(source),
             DeadLetterPages.Blank(channel), DeadLetterPages.Blank(since), DeadLetterPages.Blank(before));
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var filter = InvalidationRequestEndpoints.ParseFilter(time.GetUtcNow(), since, null, source, actor, channel, key, tag, before, null, errors);
        var form = Html.Of($"""
            <form method="get" action="{ConsolePage.Root}/cache/invalidations" class="filters">
              <label>Key <input name="key" id="record-key" value="{key}" size="30"></label>
              <label>Tag <input name="tag" id="record-tag" value="{tag}" size="20"></label>
              <label>Actor <input name="actor" id="record-actor" value="{actor}" size="12"></label>
              <label>Source <input name="source" id="record-source" value="{source}" size="12"></label>
              <label>Since <input name="since" id="record-since" value="{since}" size="8" placeholder="24h"></label>
              <button type="submit" id="record-filter">Filter</button>
            </form>
            """);
        if (errors.Count > 0)
        {
            return await page.RenderAsync(context, "Invalidation requests", Html.Of($"{ConsolePage.Errors(errors)}{form}"), StatusCodes.Status400BadRequest);
        }

        var records = await log.ListAsync(filter, cancellationToken);
        var rows = records.Items.Select(r => Html.Of($"""
            <tr data-record="{r.Id}">
              <td>{r.Id}</td>
              <td>{Format.Time(r.At)}</td>
              <td class="actor">{r.Actor ?? "-"}</td>
              <td class="source">{r.Source}</td>
              <td>{r.Channel}</td>
              <td class="reason">{r.Reason}</td>
              <td class="keys">{Html.Join(r.Keys.Select(k => Html.Of($"<a href=\"{ConsolePage.Root}/cache?key={Html.Url(k)}\"><code>{k}</code></a> ")))}</td>
              <td class="tags">{Html.Join(r.Tags.Select(t => Html.Of($"<code>{t}</code> ")))}</td>
            </tr>
            """));
        var query = $"key={Html.Url(key ?? "")}&tag={Html.Url(tag ?? "")}&actor={Html.Url(actor ?? "")}&source={Html.Url(source ?? "")}&since={Html.Url(since ?? "")}";
        var table = records.Items.Count == 0
            ? ConsolePage.Notice("ok", Html.Of($"No invalidation request on record for this filter."), "records-empty")
            : Html.Of($"""
                <table id="records">
                  <thead><tr><th>#</th><th>At</th><th>Actor</th><th>Source</th><th>Via</th><th>Reason</th><th>Keys</th><th>Tags</th></tr></thead>
                  <tbody>{Html.Join(rows)}</tbody>
                </table>
                {Html.When(records.NextBefore is not null, Html.Of($"<p><a id=\"older\" href=\"{ConsolePage.Root}/cache/invalidations?{query}&before={records.NextBefore}\">Older</a></p>"))}
                """);
        return await page.RenderAsync(context, "Invalidation requests", Html.Of($"""
            <p>Every applied invalidation request, newest first: who asked (the key's name for this console and the JSON API, the
               sender's <code>actor</code> for messages), why, from which service, through what, and what it evicted. Rows older than
               <code>InvalidationAudit:RetentionDays</code> (90 by default) are deleted.</p>
            {form}
            {table}
            """));
    }

    private static string[] Lines(string? text) =>
        text is null ? [] : [.. text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal)];

    [LoggerMessage(Level = LogLevel.Information, Message = "{Actor} requested an invalidation of {Keys} keys and {Tags} tags from the ops console: {Reason}")]
    private static partial void LogRequested(ILogger logger, string actor, int keys, int tags, string reason);
}
