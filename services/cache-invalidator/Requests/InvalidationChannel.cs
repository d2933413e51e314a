namespace CacheInvalidator.Requests;

/// <summary>How a direct invalidation request arrived (the <c>channel</c> column).</summary>
public static class InvalidationChannel
{
    /// <summary>A <c>CacheInvalidationRequested</c> in MassTransit's envelope.</summary>
    public const string MassTransit = "masstransit";

    /// <summary>A <c>CacheInvalidationRequested</c> as a plain JSON body (<c>application/json</c>).</summary>
    public const string PlainJson = "plain-json";

    /// <summary><c>POST /ops/cache/invalidate</c>.</summary>
    public const string Http = "http";
}
