using System.Text.Json.Nodes;

namespace Platform.DeadLetters.Storage;

/// <summary>The fixed part of a history entry; <paramref name="Refusals"/> are the selected rows a replay refused to publish.</summary>
internal sealed record HistoryStart(DateTimeOffset At, string Actor, string Origin, string Action, JsonObject Selection, int Selected, JsonArray? Refusals = null);
