namespace Platform.Caching.Backplane;

/// <summary>What the backplane does to a node's L1 when an invalidation is applied.</summary>
internal interface IInvalidationTarget
{
    void Apply(InvalidationKind kind, string name, long seq);

    /// <summary>The node may have missed invalidations it can no longer replay: drop every L1 entry.</summary>
    void ClearLocal(string reason);
}
