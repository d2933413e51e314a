using System.Text.Json.Nodes;

namespace Platform.DeadLetters.Storage;

/// <summary>A row locked for replay.</summary>
internal sealed record ReplayRow(long Id, string SourceQueue, string OriginalQueue, string MessageId, JsonObject Properties, JsonObject Headers, byte[] Body);
