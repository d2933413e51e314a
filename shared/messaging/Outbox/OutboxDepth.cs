namespace Platform.Messaging.Outbox;

/// <summary>One schema's outbox backlog (<see cref="OutboxProbe.ReadAsync"/>).</summary>
/// <param name="Schema">The service schema.</param>
/// <param name="Depth">Undispatched messages, not counting those moved aside.</param>
/// <param name="OldestAge">Age of the oldest undispatched message; null when there is none.</param>
public sealed record OutboxDepth(string Schema, long Depth, TimeSpan? OldestAge);
