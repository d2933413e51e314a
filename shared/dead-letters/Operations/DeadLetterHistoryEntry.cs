using System.Text.Json.Nodes;

namespace Platform.DeadLetters.Operations;

/// <summary>One audited replay or purge.</summary>
public sealed record DeadLetterHistoryEntry(
    long Id,
    DateTimeOffset At,
    string Actor,
    string Origin,
    string Action,
    JsonObject Selection,
    int Selected,
    int Succeeded,
    int Failed,
    IReadOnlyList<long> DeadLetterIds,
    DateTimeOffset? FinishedAt);
