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

        var table = Table("Id", "Last failed (UTC)", "Queue", "Type", "Exception", "Message", "Fails", "Replays", "Status");
        foreach (var d in page.Items)
        {
            table.AddRow(Cells(
                d.Id.ToString(CultureInfo.InvariantCulture), Time(d.LastFailedAt), d.SourceQueue, Short(d.MessageType), Short(d.ExceptionType),
                Clip(d.ExceptionMessage, 60), Number(d.FailureCount), Number(d.ReplayCount), d.Status));
        }

        console.Write(table);
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

        var table = Table("Group", "Count", "First seen (UTC)", "Last seen (UTC)", "Exception", "Message type", "Consumer", "Latest message");
        foreach (var g in groups)
        {
            table.AddRow(Cells(
                g.Fingerprint, g.Count.ToString(CultureInfo.InvariantCulture), Time(g.FirstSeen), Time(g.LastSeen), Short(g.ExceptionType),
                Short(g.MessageType), Short(g.ConsumerType), Clip(g.LatestExceptionMessage, 60)));
        }

        console.Write(table);
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

        var headers = Table("Header", "Value");
        foreach (var (name, value) in detail.Properties.Select(p => ($"({p.Key})", p.Value)).Concat(detail.Headers.Select(h => (h.Key, h.Value))))
        {
            headers.AddRow(Cells(name, Clip(value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString(), 200)));
        }

        console.Write(headers);
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

        var table = Table("Id", "At (UTC)", "Actor", "Via", "Action", "Selection", "Selected", "Done", "Failed", "Finished");
        foreach (var e in entries)
        {
            table.AddRow(Cells(
                e.Id.ToString(CultureInfo.InvariantCulture), Time(e.At), e.Actor, e.Origin, e.Action, Clip(e.Selection.ToJsonString(), 60),
                Number(e.Selected), Number(e.Succeeded), Number(e.Failed), e.FinishedAt is { } f ? Time(f) : "not finished"));
        }

        console.Write(table);
    }

    public static void Operation(IAnsiConsole console, DeadLetterOperationResult result)
    {
        var shown = result.DryRun ? result.Items : result.Items.Where(i => i.Outcome is "failed" or "skipped" or "refused").ToList();
        if (shown.Count > 0)
        {
            var table = Table("Id", "Message id", "Queue", "Outcome", "Reason");
            foreach (var item in shown)
            {
                table.AddRow(Cells(item.Id.ToString(CultureInfo.InvariantCulture), item.MessageId, item.Queue, item.Outcome, item.Reason));
            }

            console.Write(table);
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

    private static Table Table(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(new Text(column, new Style(decoration: Decoration.Bold))));
        }

        return table;
    }

    private static IRenderable[] Cells(params string?[] values) => [.. values.Select(v => (IRenderable)new Text(v ?? "-"))];

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
