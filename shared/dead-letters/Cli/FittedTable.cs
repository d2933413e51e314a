using Spectre.Console;
using Spectre.Console.Rendering;

namespace Platform.DeadLetters.Cli;

/// <summary>
/// A table that fits the console's width with one line per row: fixed columns (ids, times, counts) keep their width, the
/// text columns share what is left — the widest give up space first — and a value longer than its column is cut with '…'.
/// Spectre.Console alone would fold long values over many lines, or drop the whole table to '…' when columns cannot wrap.
/// </summary>
internal sealed class FittedTable
{
    /// <summary>Text columns never shrink below this (room for a few characters and the marker).</summary>
    public const int MinimumWidth = 6;

    /// <summary>No column shrinks below this: one character and the marker, plus one.</summary>
    public const int NarrowestWidth = 3;

    // A rounded border with one space of padding on each side: "│ a │ b │".
    private const int PerColumn = 3;

    private readonly FittedColumn[] _columns;
    private readonly List<string[]> _rows = [];

    public FittedTable(params FittedColumn[] columns) => _columns = columns;

    public void AddRow(params string?[] values) =>
        _rows.Add([.. values.Select(v => (v ?? "-").ReplaceLineEndings(" "))]);

    public Table Render(int width)
    {
        // Too narrow for every column at its smallest: optional columns go, from the right, before the rest is squeezed.
        var shown = Enumerable.Range(0, _columns.Length).ToList();
        while (Smallest(shown) > width && shown.LastOrDefault(i => _columns[i].Optional, -1) is var drop and >= 0)
        {
            shown.Remove(drop);
        }

        var natural = shown.Select(i => _rows.Select(r => r[i].GetCellWidth()).Append(_columns[i].Header.GetCellWidth()).Max()).ToArray();
        var widths = Budget(width - 1 - (PerColumn * shown.Count), natural, [.. shown.Select(i => _columns[i].Shrinks)]);
        var table = new Table().Border(TableBorder.Rounded);
        for (var k = 0; k < shown.Count; k++)
        {
            table.AddColumn(new TableColumn(new Text(Clip(_columns[shown[k]].Header, widths[k]), new Style(decoration: Decoration.Bold))).Width(widths[k]).NoWrap());
        }

        foreach (var row in _rows)
        {
            table.AddRow([.. shown.Select((i, k) => (IRenderable)new Text(Clip(row[i], widths[k])))]);
        }

        return table;
    }

    // The narrowest the shown columns can be without squeezing fixed ones: fixed at their natural width, text at the minimum.
    private int Smallest(List<int> shown) =>
        1 + shown.Sum(i => PerColumn + (_columns[i].Shrinks
            ? Math.Min(MinimumWidth, _rows.Select(r => r[i].GetCellWidth()).Append(_columns[i].Header.GetCellWidth()).Max())
            : _rows.Select(r => r[i].GetCellWidth()).Append(_columns[i].Header.GetCellWidth()).Max()));

    /// <summary>
    /// Column widths within <paramref name="available"/> cells: fixed columns keep their natural width; shrinking columns get
    /// the largest common cap at which all fit (a column narrower than the cap keeps its width), never below
    /// <see cref="MinimumWidth"/>. When even that does not fit (a very narrow terminal), every column shrinks the same way,
    /// down to <see cref="NarrowestWidth"/>.
    /// </summary>
    internal static int[] Budget(int available, int[] natural, bool[] shrinks)
    {
        var room = available - natural.Where((_, i) => !shrinks[i]).Sum();
        var flexible = natural.Where((_, i) => shrinks[i]).ToList();
        if (room >= flexible.Count * MinimumWidth)
        {
            var cap = Cap(flexible, room, MinimumWidth);
            return [.. natural.Select((w, i) => shrinks[i] ? Math.Min(w, cap) : w)];
        }

        var all = Cap([.. natural], available, NarrowestWidth);
        return [.. natural.Select(w => Math.Min(w, all))];
    }

    /// <summary>The largest width cap at which <paramref name="widths"/> fit in <paramref name="room"/> (water-filling), at least <paramref name="minimum"/>.</summary>
    private static int Cap(List<int> widths, int room, int minimum)
    {
        var sorted = widths.Order().ToList();
        var used = 0;
        for (var k = 0; k < sorted.Count; k++)
        {
            var share = (room - used) / (sorted.Count - k);
            if (sorted[k] > share)
            {
                return Math.Max(minimum, share);
            }

            used += sorted[k];
        }

        return int.MaxValue;
    }

    /// <summary><paramref name="text"/> in at most <paramref name="width"/> cells, cut with '…' when longer.</summary>
    internal static string Clip(string text, int width)
    {
        if (text.GetCellWidth() <= width)
        {
            return text;
        }

        var cut = text;
        while (cut.Length > 0 && cut.GetCellWidth() > width - 1)
        {
            cut = cut[..^1];
        }

        // Never leave half of a surrogate pair before the marker.
        if (cut.Length > 0 && char.IsHighSurrogate(cut[^1]))
        {
            cut = cut[..^1];
        }

        return cut + "…";
    }
}
