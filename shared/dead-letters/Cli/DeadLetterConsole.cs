using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.DeadLetters.Operations;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Platform.DeadLetters.Cli;

/// <summary>How the <c>dlq</c> verbs print for people. Stored values are untrusted text: always <see cref="Text"/>, never markup.</summary>
internal static class DeadLetterConsole
{
    private const string TimeFormat = "yyyy-MM-dd HH:mm:ss";

    public static void List(IAnsiConsole console, DeadLetterPage page)
    {
        if (page.Items.Count == 0)
        {
            console.WriteLine("No dead letters match.");
            return;
        }

        var table = new FittedTable(
            new("Id"), new("Last failed (UTC)"), new("Queue", Shrinks: true, Optional: true), new("Type", Shrinks: true), new("Exception", Shrinks: true),
            new("Message", Shrinks: true), new("Fails", Optional: true), new("Replays", Optional: true), new("Status", Optional: true));
        foreach (var d in page.Items)
        {
            table.AddRow(
                d.Id.ToString(CultureInfo.InvariantCulture), Time(d.LastFailedAt), d.SourceQueue, Short(d.MessageType), Short(d.ExceptionType),
                d.ExceptionMessage, Number(d.FailureCount), Number(d.ReplayCount), d.Status);
        }

        console.Write(table.Render(console.Profile.Width));
        console.WriteLine(page.Items.Count < page.Total
            ? $"{page.Items.Count} of {page.Total} shown (newest first); narrow with filters or raise --limit."
            : $"{page.Total} dead letter(s).");
    }

    public static void Groups(IAnsiConsole console, IReadOnlyList<DeadLetterGroup> groups)
    {
        if (groups.Count == 0)
        {
            console.WriteLine("No stored dead letters.");
            return;
        }

        var table = new FittedTable(
            new("Group"), new("Count"), new("First seen (UTC)", Optional: true), new("Last seen (UTC)"), new("Exception", Shrinks: true),
            new("Message type", Shrinks: true), new("Consumer", Shrinks: true, Optional: true), new("Latest message", Shrinks: true, Optional: true));
        foreach (var g in groups)
        {
            table.AddRow(
                g.Fingerprint, g.Count.ToString(CultureInfo.InvariantCulture), Time(g.FirstSeen), Time(g.LastSeen), Short(g.ExceptionType),
                Short(g.MessageType), Short(g.ConsumerType), g.LatestExceptionMessage);
        }

        console.Write(table.Render(console.Profile.Width));
        console.WriteLine("Next: dlq show <id> for one of them, dlq list --group <group>, dlq replay --group <group> --dry-run.");
    }

    public static void Show(IAnsiConsole console, DeadLetterDetail detail)
    {
        var d = detail.DeadLetter;
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        void Row(string name, string? value) => grid.AddRow(new Text(name, new Style(decoration: Decoration.Bold)), new Text(value ?? "-"));
        Row("Id", d.Id.ToString(CultureInfo.InvariantCulture));
        Row("Status", d.Status);
        Row("Message id", d.MessageId);
        Row("Message type", d.MessageType);
        Row("Error queue", d.SourceQueue);
        Row("Original queue", d.OriginalQueue);
        Row("Consumer", d.ConsumerType);
        Row("Exception", d.ExceptionType);
        Row("Exception message", d.ExceptionMessage);
        Row("Group", d.Fingerprint);
        Row("First failed (UTC)", Time(d.FirstFailedAt));
        Row("Last failed (UTC)", Time(d.LastFailedAt));
        Row("Failures", Number(d.FailureCount));
        Row("Replays", d.ReplayCount == 0 ? "0" : $"{d.ReplayCount}, last {Time(d.LastReplayedAt!.Value)} by {d.LastReplayedBy}");
        if (detail.PurgedAt is { } purgedAt)
        {
            Row("Purged", $"{Time(purgedAt)} by {detail.PurgedBy}");
        }

        Row("Content type", detail.ContentType);
        Row("Body", $"{detail.BodyLength} bytes");
        console.Write(grid);

        var headers = new FittedTable(new("Header", Shrinks: true), new("Value", Shrinks: true));
        foreach (var (name, value) in detail.Properties.Select(p => ($"({p.Key})", p.Value)).Concat(detail.Headers.Select(h => (h.Key, h.Value))))
        {
            headers.AddRow(name, value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString());
        }

        console.Write(headers.Render(console.Profile.Width));
        console.Write(new Panel(new Text(Body(detail))).Header("Body"));
        if (detail.ExceptionStack is { } stack)
        {
            console.Write(new Panel(new Text(stack)).Header("Stack trace"));
        }
    }

    public static void History(IAnsiConsole console, IReadOnlyList<DeadLetterHistoryEntry> entries)
    {
        if (entries.Count == 0)
        {
            console.WriteLine("No replay or purge yet.");
            return;
        }

        var table = new FittedTable(
            new("Id"), new("At (UTC)"), new("Actor", Shrinks: true), new("Via", Optional: true), new("Action"), new("Selection", Shrinks: true),
            new("Selected", Optional: true), new("Done"), new("Failed"), new("Finished", Shrinks: true, Optional: true));
        foreach (var e in entries)
        {
            table.AddRow(
                e.Id.ToString(CultureInfo.InvariantCulture), Time(e.At), e.Actor, e.Origin, e.Action, e.Selection.ToJsonString(),
                Number(e.Selected), Number(e.Succeeded), Number(e.Failed), e.FinishedAt is { } f ? Time(f) : "not finished");
        }

        console.Write(table.Render(console.Profile.Width));
    }

    public static void Operation(IAnsiConsole console, DeadLetterOperationResult result)
    {
        var shown = result.DryRun ? result.Items : result.Items.Where(i => i.Outcome is "failed" or "skipped" or "refused").ToList();
        if (shown.Count > 0)
        {
            var table = new FittedTable(
                new("Id"), new("Message id", Shrinks: true), new("Queue", Shrinks: true, Optional: true), new("Outcome"), new("Reason", Shrinks: true));
            foreach (var item in shown)
            {
                table.AddRow(item.Id.ToString(CultureInfo.InvariantCulture), item.MessageId, item.Queue, item.Outcome, item.Reason);
            }

            console.Write(table.Render(console.Profile.Width));
        }

        var verb = result.Action == "replay" ? "replayed" : "purged";
        console.WriteLine(result.DryRun
            ? $"Dry run: would have {verb} {result.Selected}, {result.Skipped} skipped. Nothing was changed."
            : $"{char.ToUpperInvariant(verb[0])}{verb[1..]} {result.Succeeded}, failed {result.Failed}, skipped {result.Skipped}"
              + (result.Refused > 0 ? $", refused {result.Refused} (destination outside this deployment; they stay stored)" : "")
              + $" (history #{result.HistoryId}).");
        if (result.ItemsTruncated)
        {
            console.WriteLine($"Only the first {DeadLetterService.MaxItems} rows are listed; the counts cover all.");
        }
    }

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string? Short(string? type) => type is null ? null : type[(type.LastIndexOfAny(['.', ':', '+']) + 1)..];

    private static string? Clip(string? text, int length) =>
        text is null ? null : (text.ReplaceLineEndings(" ") is var line && line.Length > length ? line[..(length - 1)] + "…" : line);

    private static string Body(DeadLetterDetail detail)
    {
        if (detail.BodyText is null)
        {
            return $"(not UTF-8; base64) {Clip(detail.BodyBase64, 4000)}";
        }

        try
        {
            using var document = JsonDocument.Parse(detail.BodyText);
            return JsonSerializer.Serialize(document.RootElement, DeadLetterOutput.JsonOptions);
        }
        catch (JsonException)
        {
            return detail.BodyText;
        }
    }
}
