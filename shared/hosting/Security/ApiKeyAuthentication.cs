using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Platform.Hosting.Configuration;
using Platform.Hosting.Errors;

namespace Platform.Hosting.Security;

/// <summary>
/// API-key authentication with scopes: <c>X-Api-Key</c> is compared in constant time with every configured key
/// (hashes of equal length, so neither content nor length leaks through timing); a match yields the key's
/// name and a <c>scope</c> claim per scope. Policies named after a scope require it. 401 and 403 are ProblemDetails
/// (a bare status when the client refuses JSON). Unknown keys are counted per client (<see cref="FailedKeyLimiter"/>):
/// past the limit, every key from that client gets 429 with <c>Retry-After</c>.
/// </summary>
public static class ApiKeyAuthentication
{
    public const string Scheme = "ApiKey";
    public const string ScopeClaim = "scope";

    /// <summary>Adds the scheme and one authorization policy per scope in <paramref name="scopes"/>.</summary>
    public static IHostApplicationBuilder AddApiKeyAuthentication(this IHostApplicationBuilder builder, params string[] scopes)
    {
        builder.Services.AddValidatedOptions<ApiKeyOptions>(ApiKeyOptions.Section);
        builder.Services.AddSingleton<KeyStore>();
        builder.Services.AddSingleton<FailedKeyLimiter>();
        builder.Services.AddSingleton(sp => new ApiKeyLogin(sp.GetRequiredService<KeyStore>(), sp.GetRequiredService<FailedKeyLimiter>()));
        builder.Services.AddAuthentication(Scheme).AddScheme<AuthenticationSchemeOptions, Handler>(Scheme, null);
        var authorization = builder.Services.AddAuthorizationBuilder();
        foreach (var scope in scopes)
        {
            authorization.AddPolicy(scope, p => p.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().RequireClaim(ScopeClaim, scope));
        }

        return builder;
    }

    /// <summary>A key's identity: its name, and a <see cref="ScopeClaim"/> per scope.</summary>
    internal static ClaimsPrincipal Principal(ApiKey key, string authenticationType)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, key.Name) };
        claims.AddRange(key.Scopes.Select(s => new Claim(ScopeClaim, s)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType));
    }

    internal sealed class KeyStore(IOptions<ApiKeyOptions> options)
    {
        private readonly (byte[] Hash, ApiKey Key)[] _keys = [.. options.Value.ApiKeys.Select(k => (Hash(k.Key), k))];

        public ApiKey? Find(string presented)
        {
            var hash = Hash(presented);
            ApiKey? match = null;
            foreach (var (candidate, key) in _keys)
            {
                // No early exit: every key is compared, whatever matches.
                if (CryptographicOperations.FixedTimeEquals(hash, candidate))
                {
                    match = key;
                }
            }

            return match;
        }

        /// <summary>
        /// Whether a configured key still has <paramref name="name"/>, the fingerprint <paramref name="keyId"/> and every scope
        /// in <paramref name="scopes"/>: a session made from a key ends when the key is removed, rotated or loses a scope.
        /// </summary>
        public bool IsCurrent(string name, string keyId, IEnumerable<string> scopes)
        {
            var current = _keys.FirstOrDefault(k => k.Key.Name == name);
            return current.Key is { } key
                && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(KeyId(current.Hash)), Encoding.ASCII.GetBytes(keyId))
                && scopes.All(key.Scopes.Contains);
        }

        /// <summary>A key's fingerprint for a session: 16 hex digits of its SHA-256, never the key.</summary>
        public static string KeyId(byte[] hash) => Convert.ToHexStringLower(hash, 0, 8);

        public static byte[] Hash(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));
    }

    private sealed class Handler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, KeyStore keys, FailedKeyLimiter failures)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        private TimeSpan? _blockedFor;

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (!Request.Headers.TryGetValue(ApiKeyOptions.HeaderName, out var values) || values.Count == 0 || string.IsNullOrEmpty(values[0]))
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            // Checked before the key, so a client that used up its failures learns nothing more, not even from a right key.
            var client = FailedKeyLimiter.ClientOf(Context.Connection.RemoteIpAddress);
            if (failures.IsBlocked(client, out var retryAfter))
            {
                _blockedFor = retryAfter;
                return Task.FromResult(AuthenticateResult.Fail("Too many unknown API keys from this client"));
            }

            if (keys.Find(values[0]!) is not { } key)
            {
                failures.RecordFailure(client);
                return Task.FromResult(AuthenticateResult.Fail("Unknown API key"));
            }

            var principal = Principal(key, ApiKeyAuthentication.Scheme);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, ApiKeyAuthentication.Scheme)));
        }

        protected override Task HandleChallengeAsync(AuthenticationProperties properties)
        {
            if (_blockedFor is { } wait)
            {
                var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
                Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return ProblemResponses.WriteAsync(Context, StatusCodes.Status429TooManyRequests, "Too many failed API keys",
                    $"Too many unknown API keys came from this client; every key from it is refused for {seconds} s.");
            }

            Response.Headers.WWWAuthenticate = $"{ApiKeyAuthentication.Scheme} header=\"{ApiKeyOptions.HeaderName}\"";
            return ProblemResponses.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Authentication required", $"Send a valid API key in the {ApiKeyOptions.HeaderName} header.");
        }

        protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
            ProblemResponses.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden", "The API key does not have the scope this operation needs.");
    }
}
