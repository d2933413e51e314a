namespace Platform.Caching;

/// <summary>A node's position on the backplane (<see cref="CacheInspector.BackplaneAsync"/>).</summary>
/// <param name="Sequence">The invalidation sequence Redis is at.</param>
/// <param name="Applied">The last sequence this node applied.</param>
/// <param name="Lag">Invalidations this node has not applied yet (0 when caught up).</param>
/// <param name="Hearing">Whether this node hears the backplane (its heartbeat came back in time).</param>
/// <param name="Epoch">Redis's data epoch.</param>
public sealed record BackplaneReport(long Sequence, long Applied, long Lag, bool Hearing, string Epoch);
