namespace CacheInvalidator.Requests;

/// <summary>API-key scopes of the cache endpoints; the host registers them with <c>AddApiKeyAuthentication</c>.</summary>
public static class CacheScopes
{
    /// <summary>
    /// <c>POST /ops/cache/invalidate</c>, and the policy that requires it. Separate from <c>ops:admin</c> so a service or a
    /// script can evict entries by hand without being able to replay or purge dead letters.
    /// </summary>
    public const string Invalidate = "cache:invalidate";
}
