using System.Text.Json.Nodes;

namespace Platform.DeadLetters.Storage;

/// <summary>The fixed part of a history entry.</summary>
internal sealed record HistoryStart(DateTimeOffset At, string Actor, string Origin, string Action, JsonObject Selection, int Selected);
