using System.Text;

namespace Platform.Benchmarks.Reporting;

/// <summary>
/// A Markdown table built row by row. <c>alignment</c> has one letter per column: <c>l</c> left, <c>r</c> right
/// (numbers), e.g. <c>new MarkdownTable("lrr", "measure", "n", "p50 ms")</c>.
/// </summary>
internal sealed class MarkdownTable
{
    private readonly string[] _headers;
    private readonly string _alignment;
    private readonly List<string[]> _rows = [];

    public MarkdownTable(string alignment, params string[] headers)
    {
        if (alignment.Length != headers.Length || alignment.Any(a => a is not ('l' or 'r')))
        {
            throw new ArgumentException($"alignment '{alignment}' needs one 'l' or 'r' per column ({headers.Length})", nameof(alignment));
        }

        _alignment = alignment;
        _headers = headers;
    }

    public int Count => _rows.Count;

    public MarkdownTable Add(params string[] cells)
    {
        if (cells.Length != _headers.Length)
        {
            throw new ArgumentException($"a row needs {_headers.Length} cells, got {cells.Length}", nameof(cells));
        }

        _rows.Add(cells);
        return this;
    }

    /// <summary>Prints the table followed by nothing (callers add the blank lines they want).</summary>
    public void Print() => Console.Write(ToString());

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("| ").AppendJoin(" | ", _headers).AppendLine(" |");
        text.Append('|').AppendJoin('|', _alignment.Select(a => a == 'r' ? "--:" : "---")).AppendLine("|");
        foreach (var row in _rows)
        {
            text.Append("| ").AppendJoin(" | ", row.Select(Escape)).AppendLine(" |");
        }

        return text.ToString();
    }

    private static string Escape(string cell) => cell.Replace("|", "\\|", StringComparison.Ordinal).Replace('\n', ' ');
}
