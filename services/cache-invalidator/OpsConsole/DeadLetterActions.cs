using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Platform.DeadLetters.Operations;

namespace CacheInvalidator.OpsConsole;

/// <summary>
/// Replay and purge from the console, each in two steps: a dry run that shows what would happen (what the operation itself
/// reports, changing nothing) with a button to go ahead, then the operation, recorded in the history under the signed-in
/// key's name. One / selected / group all post the same fields: <c>ids</c> (repeated), <c>group</c>, <c>all</c>, and the
/// filters that narrow a group.
/// </summary>
internal static class DeadLetterActions
{
    public static void Map(RouteGroupBuilder console)
    {
        console.MapPost("/dead-letters/replay", ReplayAsync);
        console.MapPost("/dead-letters/purge", PurgeAsync);
    }

    private static async Task<IResult> ReplayAsync(
        HttpContext context, ConsolePage page, DeadLetterService service, [FromForm] SelectionForm form, CancellationToken cancellationToken)
    {
        var (selection, errors) = Parse(form, service);
        if (errors.Count > 0)
        {
            return await page.RenderAsync(context, "Replay", ConsolePage.Errors(errors), StatusCodes.Status400BadRequest);
        }

        try
        {
            if (form.Mode != "replay")
            {
                var dry = await service.ReplayAsync(selection, dryRun: true, Actor(context), null, cancellationToken);
                var confirm = dry.Selected == 0 ? Html.Empty : Html.Of($"""
                    <form method="post" action="{ConsolePage.Root}/dead-letters/replay">{page.Token(context)}
                      {Hidden(form)}<input type="hidden" name="mode" value="replay">
                      <button type="submit" id="confirm-replay">Replay {dry.Selected} now</button>
                      <a href="{ConsolePage.Root}/dead-letters">Cancel</a>
                    </form>
                    """);
                return await page.RenderAsync(context, "Replay: dry run", Html.Of($"""
                    {ConsolePage.Notice("warn", Html.Of($"Dry run: would replay {dry.Selected} dead letter{Plural(dry.Selected)} to their original queues; {dry.Skipped} skipped. Nothing was changed."), "dry-run")}
                    {Items(dry)}
                    {confirm}
                    """));
            }

            var result = await service.ReplayAsync(selection, dryRun: false, Actor(context), null, cancellationToken);
            var kind = result.Failed > 0 ? "bad" : "ok";
            return await page.RenderAsync(context, "Replay", Html.Of($"""
                {ConsolePage.Notice(kind, Html.Of($"Replayed {result.Succeeded}, failed {result.Failed}, skipped {result.Skipped} (history #{result.HistoryId})."), "replay-result")}
                {Items(result)}
                <p><a href="{ConsolePage.Root}/history">History</a> · <a href="{ConsolePage.Root}/dead-letters">Dead letters</a></p>
                """));
        }
        catch (DeadLetterNotFoundException e)
        {
            return await page.RenderAsync(context, "Replay", ConsolePage.Notice("bad", Html.Of($"{e.Message}")), StatusCodes.Status404NotFound);
        }
    }

    private static async Task<IResult> PurgeAsync(
        HttpContext context, ConsolePage page, DeadLetterService service, [FromForm] SelectionForm form, CancellationToken cancellationToken)
    {
        var (selection, errors) = Parse(form, service);
        if (errors.Count > 0)
        {
            return await page.RenderAsync(context, "Purge", ConsolePage.Errors(errors), StatusCodes.Status400BadRequest);
        }

        try
        {
            // Nothing is purged without the confirmation step: the first post always shows what would go.
            if (form.Confirm != "yes")
            {
                var dry = await service.PurgeAsync(selection, dryRun: true, Actor(context), cancellationToken);
                var confirm = dry.Selected == 0 ? Html.Empty : Html.Of($"""
                    <form method="post" action="{ConsolePage.Root}/dead-letters/purge">{page.Token(context)}
                      {Hidden(form)}<input type="hidden" name="confirm" value="yes">
                      <button type="submit" class="danger" id="confirm-purge">Purge {dry.Selected} dead letter{Plural(dry.Selected)}</button>
                      <a href="{ConsolePage.Root}/dead-letters">Cancel</a>
                    </form>
                    """);
                return await page.RenderAsync(context, "Purge: confirm", Html.Of($"""
                    {ConsolePage.Notice("warn", Html.Of($"Would purge {dry.Selected} dead letter{Plural(dry.Selected)}; {dry.Skipped} skipped. Purged rows stay in the store for the audit trail but can no longer be replayed."), "dry-run")}
                    {Items(dry)}
                    {confirm}
                    """));
            }

            var result = await service.PurgeAsync(selection, dryRun: false, Actor(context), cancellationToken);
            return await page.RenderAsync(context, "Purge", Html.Of($"""
                {ConsolePage.Notice("ok", Html.Of($"Purged {result.Succeeded}, skipped {result.Skipped} (history #{result.HistoryId})."), "purge-result")}
                {Items(result)}
                <p><a href="{ConsolePage.Root}/history">History</a> · <a href="{ConsolePage.Root}/dead-letters">Dead letters</a></p>
                """));
        }
        catch (DeadLetterNotFoundException e)
        {
            return await page.RenderAsync(context, "Purge", ConsolePage.Notice("bad", Html.Of($"{e.Message}")), StatusCodes.Status404NotFound);
        }
    }

    private static (DeadLetterSelection Selection, InputErrors Errors) Parse(SelectionForm form, DeadLetterService service)
    {
        var errors = new InputErrors();
        var ids = new List<long>();
        foreach (var text in form.Ids ?? [])
        {
            ids.Add(DeadLetterInput.ParseId(text, errors));
        }

        var selection = DeadLetterInput.ParseSelection(
            ids, DeadLetterPages.Blank(form.Group), form.All == "true", DeadLetterPages.Blank(form.Type), DeadLetterPages.Blank(form.Exception),
            DeadLetterPages.Blank(form.Since), DeadLetterPages.Blank(form.Queue), service.Time.GetUtcNow(), errors);
        return (selection, errors);
    }

    private static DeadLetterActor Actor(HttpContext context) => new(context.User.Identity?.Name ?? "unknown", "console");

    /// <summary>The selection again, for the confirming form.</summary>
    private static Html Hidden(SelectionForm form)
    {
        var fields = (form.Ids ?? []).Select(id => ("ids", (string?)id))
            .Append(("group", form.Group)).Append(("all", form.All)).Append(("type", form.Type)).Append(("exception", form.Exception))
            .Append(("since", form.Since)).Append(("queue", form.Queue))
            .Where(f => !string.IsNullOrWhiteSpace(f.Item2));
        return Html.Join(fields.Select(f => Html.Of($"<input type=\"hidden\" name=\"{f.Item1}\" value=\"{f.Item2}\">")));
    }

    private static Html Items(DeadLetterOperationResult result)
    {
        var shown = result.DryRun ? result.Items : [.. result.Items.Where(i => i.Outcome is "failed" or "skipped")];
        if (shown.Count == 0)
        {
            return Html.Empty;
        }

        var rows = shown.Select(i => Html.Of($"""
            <tr data-id="{i.Id}"><td><a href="{ConsolePage.Root}/dead-letters/{i.Id}">{i.Id}</a></td><td><code>{i.MessageId}</code></td><td>{i.Queue}</td><td class="outcome">{i.Outcome}</td><td>{i.Reason ?? ""}</td></tr>
            """));
        return Html.Of($"""
            <table id="items">
              <thead><tr><th>Id</th><th>Message id</th><th>To queue</th><th>Outcome</th><th>Reason</th></tr></thead>
              <tbody>{Html.Join(rows)}</tbody>
            </table>
            {Html.When(result.ItemsTruncated, Html.Of($"<p>Only the first {DeadLetterService.MaxItems.ToString(CultureInfo.InvariantCulture)} rows are listed; the counts cover all.</p>"))}
            """);
    }

    private static string Plural(int count) => count == 1 ? "" : "s";
}
