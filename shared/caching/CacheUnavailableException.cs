namespace Platform.Caching;

/// <summary>
/// An invalidation could not be recorded in Redis (it was applied to this node's L1 only). Callers that must
/// not lose invalidations — the invalidator's consumers — let it fail the message so it is retried.
/// </summary>
public sealed class CacheUnavailableException : Exception
{
    public CacheUnavailableException()
    {
    }

    public CacheUnavailableException(string message)
        : base(message)
    {
    }

    public CacheUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
