using System.Text.Json.Nodes;

namespace Platform.DeadLetters.Operations;

/// <summary>
/// One audited replay or purge. <paramref name="Refused"/> counts the selected rows a replay would not publish because
/// their destination is not a queue of this deployment; <paramref name="Refusals"/> names each: <c>{"id", "queue", "reason"}</c>.
/// </summary>
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
    DateTimeOffset? FinishedAt,
    int Refused,
    JsonArray Refusals);
