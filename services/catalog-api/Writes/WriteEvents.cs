using Platform.Contracts.Invalidation;

namespace Catalog.Api.Writes;

/// <summary>What a write commits besides its row: its events (outbox, same transaction) and what they make stale.</summary>
/// <param name="Events">Contract events, written to the outbox in the write's one SaveChanges.</param>
/// <param name="Evicts">Evicted on this node's cache after the commit (<see cref="InvalidationRules"/>, ADR 009).</param>
public sealed record WriteEvents(IReadOnlyList<object> Events, InvalidationPlan Evicts);
