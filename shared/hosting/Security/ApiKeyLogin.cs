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

        return ApiKeyAuthentication.Principal(key, authenticationType);
    }
}
