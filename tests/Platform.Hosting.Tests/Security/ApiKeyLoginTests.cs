using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Hosting.Security;

namespace Platform.Hosting.Tests.Security;

/// <summary>A key typed into a login form: checked like the header, and a session made from it ends with the key.</summary>
public sealed class ApiKeyLoginTests
{
    private const string AliceKey = "alice-key-0123456789abcdef";

    [Fact]
    public void ARightKeySignsInAsItsNameWithItsScopesAndNoKey()
    {
        var principal = Login(Key("alice", AliceKey, "ops:admin")).SignIn(AliceKey, IPAddress.Loopback, "Test", out var retryAfter);

        Assert.Null(retryAfter);
        Assert.Equal("alice", principal!.Identity!.Name);
        Assert.Equal(["ops:admin"], principal.FindAll(ApiKeyAuthentication.ScopeClaim).Select(c => c.Value));
        Assert.DoesNotContain(principal.Claims, c => c.Value.Contains(AliceKey, StringComparison.Ordinal));
    }

    [Fact]
    public void UnknownKeysAreCountedPerClientUntilEvenARightKeyIsRefused()
    {
        var login = Login(Key("alice", AliceKey, "ops:admin"), failedKeyLimit: 3);

        for (var i = 0; i < 3; i++)
        {
            Assert.Null(login.SignIn("wrong-key-" + i, IPAddress.Loopback, "Test", out var notYet));
            Assert.Null(notYet);
        }

        Assert.Null(login.SignIn(AliceKey, IPAddress.Loopback, "Test", out var blocked));
        Assert.NotNull(blocked);
        Assert.NotNull(login.SignIn(AliceKey, IPAddress.Parse("10.1.2.3"), "Test", out _));
    }

    [Fact]
    public void ASessionEndsWhenItsKeyIsRemovedRotatedOrLosesTheScope()
    {
        var principal = Login(Key("alice", AliceKey, "ops:admin")).SignIn(AliceKey, IPAddress.Loopback, "Test", out _)!;

        Assert.True(Login(Key("alice", AliceKey, "ops:admin"), Key("bob", "bob-key-0123456789abcdef", "ops:admin")).IsCurrent(principal));
        Assert.False(Login(Key("bob", "bob-key-0123456789abcdef", "ops:admin")).IsCurrent(principal));
        Assert.False(Login(Key("alice", "alice-rotated-0123456789abcdef", "ops:admin")).IsCurrent(principal));
        Assert.False(Login(Key("alice", AliceKey, "catalog:write")).IsCurrent(principal));
    }

    private static ApiKey Key(string name, string key, params string[] scopes) => new() { Name = name, Key = key, Scopes = [.. scopes] };

    private static ApiKeyLogin Login(params ApiKey[] keys) => Login(keys, 10);

    private static ApiKeyLogin Login(ApiKey key, int failedKeyLimit) => Login([key], failedKeyLimit);

    private static ApiKeyLogin Login(ApiKey[] keys, int failedKeyLimit)
    {
        var options = Options.Create(new ApiKeyOptions { ApiKeys = [.. keys], FailedKeyLimit = failedKeyLimit });
        return new ApiKeyLogin(new ApiKeyAuthentication.KeyStore(options), new FailedKeyLimiter(options, NullLogger<FailedKeyLimiter>.Instance));
    }
}
