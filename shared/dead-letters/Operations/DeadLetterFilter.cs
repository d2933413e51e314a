namespace Platform.DeadLetters.Operations;

/// <summary>Which dead letters a list shows. Null members do not filter; <see cref="Status"/> null means every status.</summary>
internal sealed record DeadLetterFilter(
    string? Status = DeadLetterStatus.Stored,
    string? Type = null,
    string? Exception = null,
    DateTimeOffset? Since = null,
    string? Queue = null,
    string? Group = null);
