namespace Platform.DeadLetters.Storage;

/// <summary>A row a selection covers (stored, unless it was named by id).</summary>
internal sealed record SelectedRow(long Id, string MessageId, string Queue, string SourceQueue, string Status, string? InputAddress);
