using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.DeadLetters.Operations;

namespace CacheInvalidator.OpsConsole;

/// <summary>
/// The read pages of dead letters, on <see cref="DeadLetterService"/> (the operations the JSON API and the CLI use):
/// groups and a filtered list with selection, one dead letter in full, and the history with its actors.
/// </summary>
internal static class DeadLetterPages
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Map(RouteGroupBuilder console)
    {
        console.MapGet("/", () => Results.Redirect($"{ConsolePage.Root}/dead-letters"));
        console.MapGet("/dead-letters", ListAsync);
        console.MapGet("/dead-letters/{id}", ShowAsync);
        console.MapGet("/history", HistoryAsync);
    }

    internal static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static async Task<IResult> ListAsync(
        HttpContext context, ConsolePage page, DeadLetterService service, IOptions<OpsConsoleOptions> options,
        string? status, string? type, string? exception, string? since, string? queue, string? group, CancellationToken cancellationToken)
    {
        var errors = new InputErrors();
        var filter = DeadLetterInput.ParseFilter(Blank(status), Blank(type), Blank(exception), Blank(since), Blank(queue), Blank(group), service.Time.GetUtcNow(), errors);
        var groups = await service.GroupsAsync(cancellationToken);
        var list = errors.Count > 0 ? null : await service.ListAsync(filter, options.Value.PageSize, cancellationToken);
        var body = Html.Of($"""
            <section aria-labelledby="groups-title">
              <h2 id="groups-title">Groups <small>(stored, by exception type + message type + consumer)</small></h2>
              {GroupTable(context, page, groups)}
            </section>
            <section aria-labelledby="list-title">
              <h2 id="list-title">Dead letters</h2>
              {FilterForm(status, type, exception, since, queue, group)}
              {(errors.Count > 0 ? ConsolePage.Errors(errors) : List(context, page, list!, filter))}
            </section>
            """);
        return await page.RenderAsync(context, "Dead letters", body, errors.Count > 0 ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK);
    }

    private static Html GroupTable(HttpContext context, ConsolePage page, IReadOnlyList<DeadLetterGroup> groups)
    {
        if (groups.Count == 0)
        {
            return ConsolePage.Notice("ok", Html.Of($"No dead letters are waiting."), "no-groups");
        }

        var rows = groups.Select(g => Html.Of($"""
            <tr data-group="{g.Fingerprint}">
              <td><a href="{ConsolePage.Root}/dead-letters?group={g.Fingerprint}"><code>{g.Fingerprint}</code></a></td>
              <td class="num">{g.Count}</td>
              <td>{Format.Short(g.ExceptionType) ?? "-"}<div class="sub">{g.LatestExceptionMessage ?? ""}</div></td>
              <td>{Format.Short(g.MessageType) ?? "-"}</td>
              <td>{Format.Short(g.ConsumerType) ?? "-"}</td>
              <td>{string.Join(", ", g.Queues)}</td>
              <td>{Format.Time(g.FirstSeen)}</td>
              <td>{Format.Time(g.LastSeen)}</td>
              <td class="actions">
                <form method="post" action="{ConsolePage.Root}/dead-letters/replay">{page.Token(context)}
                  <input type="hidden" name="group" value="{g.Fingerprint}"><input type="hidden" name="mode" value="dry-run">
                  <button type="submit">Replay group…</button>
                </form>
                <form method="post" action="{ConsolePage.Root}/dead-letters/purge">{page.Token(context)}
                  <input type="hidden" name="group" value="{g.Fingerprint}">
                  <button type="submit" class="danger">Purge group…</button>
                </form>
              </td>
            </tr>
            """));
        return Html.Of($"""
            <table id="groups">
              <thead><tr><th>Group</th><th>Count</th><th>Exception</th><th>Message type</th><th>Consumer</th><th>Queues</th><th>First seen</th><th>Last seen</th><th></th></tr></thead>
              <tbody>{Html.Join(rows)}</tbody>
            </table>
            """);
    }

    private static Html FilterForm(string? status, string? type, string? exception, string? since, string? queue, string? group)
    {
        var statuses = new[] { "stored", "replayed", "purged", "all" }.Select(s =>
            Html.Of($"<option value=\"{s}\"{Html.When((Blank(status) ?? "stored") == s, new Html(" selected"))}>{s}</option>"));
        return Html.Of($"""
            <form method="get" action="{ConsolePage.Root}/dead-letters" class="filters" id="filters">
              <label>Status <select name="status">{Html.Join(statuses)}</select></label>
              <label>Message type <input name="type" value="{type}" placeholder="ProductUpdated"></label>
              <label>Exception <input name="exception" value="{exception}" placeholder="TimeoutException"></label>
              <label>Since <input name="since" value="{since}" placeholder="2h, 7d or 2026-12-01T10:00:00Z"></label>
              <label>Queue <input name="queue" value="{queue}"></label>
              <label>Group <input name="group" value="{group}" placeholder="16 hex digits"></label>
              <button type="submit">Filter</button>
              <a href="{ConsolePage.Root}/dead-letters">Clear</a>
            </form>
            """);
    }

    private static Html List(HttpContext context, ConsolePage page, DeadLetterPage list, DeadLetterFilter filter)
    {
        if (list.Items.Count == 0)
        {
            return ConsolePage.Notice("ok", Html.Of($"No dead letter matches."), "no-dead-letters");
        }

        var selectable = filter.Status == DeadLetterStatus.Stored;
        var rows = list.Items.Select(d => Html.Of($"""
            <tr data-id="{d.Id}">
              <td>{Html.When(selectable, Html.Of($"<input type=\"checkbox\" name=\"ids\" value=\"{d.Id}\" aria-label=\"select {d.Id}\">"))}</td>
              <td><a href="{ConsolePage.Root}/dead-letters/{d.Id}">{d.Id}</a></td>
              <td>{d.Status}</td>
              <td>{Format.Short(d.MessageType) ?? "-"}</td>
              <td>{Format.Short(d.ExceptionType) ?? "-"}<div class="sub">{d.ExceptionMessage ?? ""}</div></td>
              <td>{d.OriginalQueue}</td>
              <td>{Format.Time(d.LastFailedAt)}</td>
              <td class="num">{d.FailureCount}</td>
              <td class="num">{d.ReplayCount}</td>
            </tr>
            """));
        var table = Html.Of($"""
            <p class="count" id="list-count">{list.Total} match{(list.Total == 1 ? "" : "es")}{(list.Total > list.Items.Count ? $"; the newest {list.Items.Count} are shown" : "")}.</p>
            <table id="dead-letters">
              <thead><tr><th></th><th>Id</th><th>Status</th><th>Message type</th><th>Exception</th><th>Queue</th><th>Last failed</th><th>Failures</th><th>Replays</th></tr></thead>
              <tbody>{Html.Join(rows)}</tbody>
            </table>
            """);
        if (!selectable)
        {
            return table;
        }

        // One form around the table: the checked ids go to a dry run of a replay, or to a purge's confirmation.
        return Html.Of($"""
            <form method="post" action="{ConsolePage.Root}/dead-letters/replay" id="selection">{page.Token(context)}
              <input type="hidden" name="mode" value="dry-run">
              {table}
              <div class="actions">
                <button type="submit" id="replay-selected">Replay selected…</button>
                <button type="submit" formaction="{ConsolePage.Root}/dead-letters/purge" class="danger" id="purge-selected">Purge selected…</button>
              </div>
            </form>
            """);
    }

    private static async Task<IResult> ShowAsync(HttpContext context, ConsolePage page, DeadLetterService service, string id, CancellationToken cancellationToken)
    {
        var errors = new InputErrors();
        var parsed = DeadLetterInput.ParseId(id, errors);
        if (errors.Count > 0)
        {
            return await page.RenderAsync(context, "Dead letter", ConsolePage.Errors(errors), StatusCodes.Status400BadRequest);
        }

        if (await service.FindAsync(parsed, cancellationToken) is not { } detail)
        {
            return await page.RenderAsync(context, "Dead letter", ConsolePage.Notice("bad", Html.Of($"No dead letter has id {parsed}.")), StatusCodes.Status404NotFound);
        }

        var d = detail.DeadLetter;
        var history = (await service.HistoryAsync(DeadLetterInput.MaxLimit, cancellationToken)).Where(h => h.DeadLetterIds.Contains(d.Id)).ToList();
        var actions = d.Status != DeadLetterStatus.Stored ? Html.Empty : Html.Of($"""
            <div class="actions">
              <form method="post" action="{ConsolePage.Root}/dead-letters/replay">{page.Token(context)}
                <input type="hidden" name="ids" value="{d.Id}"><input type="hidden" name="mode" value="dry-run">
                <button type="submit" id="replay-one">Replay…</button>
              </form>
              <form method="post" action="{ConsolePage.Root}/dead-letters/purge">{page.Token(context)}
                <input type="hidden" name="ids" value="{d.Id}">
                <button type="submit" class="danger" id="purge-one">Purge…</button>
              </form>
            </div>
            """);
        var body = Html.Of($"""
            {actions}
            <dl class="facts" id="summary">
              <dt>Status</dt><dd id="status">{d.Status}</dd>
              <dt>Message type</dt><dd>{d.MessageType ?? "-"}</dd>
              <dt>Message id</dt><dd><code>{d.MessageId}</code></dd>
              <dt>Original queue</dt><dd>{d.OriginalQueue}</dd>
              <dt>Error queue</dt><dd>{d.SourceQueue}</dd>
              <dt>Consumer</dt><dd>{d.ConsumerType ?? "-"}</dd>
              <dt>Group</dt><dd><a href="{ConsolePage.Root}/dead-letters?group={d.Fingerprint}"><code>{d.Fingerprint}</code></a></dd>
              <dt>First failed</dt><dd>{Format.Time(d.FirstFailedAt)}</dd>
              <dt>Last failed</dt><dd>{Format.Time(d.LastFailedAt)}</dd>
              <dt>Failures</dt><dd>{d.FailureCount}</dd>
              <dt>Replays</dt><dd>{d.ReplayCount}{(d.LastReplayedAt is { } r ? $" (last {Format.Time(r)} by {d.LastReplayedBy})" : "")}</dd>
              <dt>Stored</dt><dd>{Format.Time(detail.StoredAt)}</dd>
              {Html.When(detail.PurgedAt is not null, Html.Of($"<dt>Purged</dt><dd>{Format.Time(detail.PurgedAt)} by {detail.PurgedBy}</dd>"))}
            </dl>
            <h2>Exception</h2>
            <p><strong>{d.ExceptionType ?? "-"}</strong>: {d.ExceptionMessage ?? ""}</p>
            {Html.When(detail.ExceptionStack is not null, Html.Of($"<details><summary>Stack trace</summary><pre id=\"stack\">{detail.ExceptionStack}</pre></details>"))}
            <h2>Body <small>({detail.BodyLength} bytes, {detail.ContentType ?? "no content type"})</small></h2>
            <pre id="body">{Body(detail)}</pre>
            <h2>Headers</h2>
            <pre id="headers">{Pretty(detail.Headers)}</pre>
            <h2>Properties</h2>
            <pre id="properties">{Pretty(detail.Properties)}</pre>
            <h2>History</h2>
            {HistoryTable(history, "dead-letter-history")}
            """);
        return await page.RenderAsync(context, $"Dead letter {d.Id}", body);
    }

    private static async Task<IResult> HistoryAsync(HttpContext context, ConsolePage page, DeadLetterService service, string? limit, CancellationToken cancellationToken)
    {
        var errors = new InputErrors();
        var rows = DeadLetterInput.ParseLimit(Blank(limit), errors);
        if (errors.Count > 0)
        {
            return await page.RenderAsync(context, "History", ConsolePage.Errors(errors), StatusCodes.Status400BadRequest);
        }

        var entries = await service.HistoryAsync(rows, cancellationToken);
        return await page.RenderAsync(context, "History", Html.Of($"""
            <p>Every replay and purge, newest first, with who did it (the ops key's name, or the CLI's --actor) and through what (console, http for the JSON API, cli).</p>
            {HistoryTable(entries, "history")}
            """));
    }

    internal static Html HistoryTable(IReadOnlyList<DeadLetterHistoryEntry> entries, string id)
    {
        if (entries.Count == 0)
        {
            return ConsolePage.Notice("ok", Html.Of($"No replay or purge yet."), $"{id}-empty");
        }

        var rows = entries.Select(e => Html.Of($"""
            <tr data-history="{e.Id}">
              <td>{e.Id}</td>
              <td>{Format.Time(e.At)}</td>
              <td class="actor">{e.Actor}</td>
              <td class="origin">{e.Origin}</td>
              <td>{e.Action}</td>
              <td><code>{e.Selection.ToJsonString()}</code></td>
              <td class="num">{e.Selected}</td>
              <td class="num">{e.Succeeded}</td>
              <td class="num">{e.Failed}</td>
              <td>{Html.Join(e.DeadLetterIds.Take(20).Select(i => Html.Of($"<a href=\"{ConsolePage.Root}/dead-letters/{i}\">{i}</a> ")))}{(e.DeadLetterIds.Count > 20 ? $"… ({e.DeadLetterIds.Count})" : "")}</td>
              <td>{(e.FinishedAt is { } f ? Format.Time(f) : "not finished")}</td>
            </tr>
            """));
        return Html.Of($"""
            <table id="{id}">
              <thead><tr><th>#</th><th>At</th><th>Actor</th><th>Via</th><th>Action</th><th>Selection</th><th>Selected</th><th>Done</th><th>Failed</th><th>Dead letters</th><th>Finished</th></tr></thead>
              <tbody>{Html.Join(rows)}</tbody>
            </table>
            """);
    }

    private static string Body(DeadLetterDetail detail)
    {
        if (detail.BodyText is null)
        {
            return $"(not UTF-8; base64)\n{detail.BodyBase64}";
        }

        try
        {
            return JsonNode.Parse(detail.BodyText)?.ToJsonString(Indented) ?? detail.BodyText;
        }
        catch (JsonException)
        {
            return detail.BodyText;
        }
    }

    private static string Pretty(JsonObject json) => json.ToJsonString(Indented);
}
