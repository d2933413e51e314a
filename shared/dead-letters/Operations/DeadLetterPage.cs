namespace Platform.DeadLetters.Operations;

/// <summary>A page of dead letters, newest failure first; <paramref name="Total"/> counts every match, not just this page.</summary>
public sealed record DeadLetterPage(long Total, IReadOnlyList<DeadLetterSummary> Items);
