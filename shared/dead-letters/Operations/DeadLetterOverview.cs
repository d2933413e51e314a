namespace Platform.DeadLetters.Operations;

/// <summary>The dead-letter part of the ops console's status strip.</summary>
/// <param name="Waiting">Dead letters stored (not replayed, not purged).</param>
/// <param name="OldestFailedAt">First failure of the oldest one waiting; null when none waits.</param>
/// <param name="Since">Start of the replay counts (midnight UTC today).</param>
/// <param name="ReplaysSucceeded">Dead letters replayed since then.</param>
/// <param name="ReplaysFailed">Replays since then whose publish was not confirmed.</param>
public sealed record DeadLetterOverview(long Waiting, DateTimeOffset? OldestFailedAt, DateTimeOffset Since, long ReplaysSucceeded, long ReplaysFailed);
