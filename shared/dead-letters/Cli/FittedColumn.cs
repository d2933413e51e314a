namespace Platform.DeadLetters.Cli;

/// <summary>A column of a <see cref="FittedTable"/>.</summary>
/// <param name="Header">Its title.</param>
/// <param name="Shrinks">Free text that may be cut with '…' to fit (ids, times and counts keep their width).</param>
/// <param name="Optional">Left out, before anything else is squeezed, when the console is too narrow for every column.</param>
internal sealed record FittedColumn(string Header, bool Shrinks = false, bool Optional = false);
