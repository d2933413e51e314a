using System.Net;
using System.Security.Claims;

namespace Platform.Hosting.Security;

/// <summary>
/// Checks an API key typed into a login form exactly as the <c>X-Api-Key</c> header is checked: constant-time compare
/// with every configured key, unknown keys counted per client (<see cref="FailedKeyLimiter"/>), a blocked client refused
/// even with a right key. A match yields the same identity as the header (the key's name, one <c>scope</c> claim per scope),
/// so a cookie made from it carries the same name into history and logs.
/// </summary>
public sealed class ApiKeyLogin
{
    /// <summary>Claim holding the signed-in key's fingerprint (16 hex digits of its SHA-256), so a session ends with its key.</summary>
    public const string KeyIdClaim = "key-id";

    private readonly ApiKeyAuthentication.KeyStore _keys;
    private readonly FailedKeyLimiter _failures;

    internal ApiKeyLogin(ApiKeyAuthentication.KeyStore keys, FailedKeyLimiter failures)
    {
        _keys = keys;
        _failures = failures;
    }

    /// <summary>
    /// The identity of <paramref name="presented"/> for <paramref name="authenticationType"/>, or null (with
    /// <paramref name="retryAfter"/> set when the client is blocked for now).
    /// </summary>
    public ClaimsPrincipal? SignIn(string presented, IPAddress? client, string authenticationType, out TimeSpan? retryAfter)
    {
        ArgumentNullException.ThrowIfNull(presented);
        retryAfter = null;
        var partition = FailedKeyLimiter.ClientOf(client);
        if (_failures.IsBlocked(partition, out var wait))
        {
            retryAfter = wait;
            return null;
        }

        if (presented.Length == 0 || _keys.Find(presented) is not { } key)
        {
            _failures.RecordFailure(partition);
            return null;
        }

        var principal = ApiKeyAuthentication.Principal(key, authenticationType);
        ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim(KeyIdClaim, ApiKeyAuthentication.KeyStore.KeyId(ApiKeyAuthentication.KeyStore.Hash(presented))));
        return principal;
    }

    /// <summary>
    /// Whether a session made by <see cref="SignIn"/> still stands for a configured key: same name, same key (by fingerprint),
    /// every scope it had. False once the key was removed, rotated or lost a scope (configuration is read at start).
    /// </summary>
    public bool IsCurrent(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return principal.Identity?.Name is { } name
            && principal.FindFirst(KeyIdClaim)?.Value is { } keyId
            && _keys.IsCurrent(name, keyId, principal.FindAll(ApiKeyAuthentication.ScopeClaim).Select(c => c.Value));
    }
}
