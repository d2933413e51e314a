using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.Hosting.Http;

namespace Platform.Hosting.Tests.Http;

/// <summary>
/// A minimal service with the platform defaults on real Kestrel: the test's own connection comes from 127.0.0.1, which
/// ASP.NET Core's forwarded-headers defaults would trust. The platform trusts only the proxies it is told of.
/// </summary>
public sealed class ForwardedClientsTests
{
    private const string Forged = "203.0.113.77";

    [Theory]
    [InlineData(null)]
    [InlineData("10.0.0.5")]
    public async Task AForgedForwardedForFromAPeerThatIsNoKnownProxyIsIgnored(string? knownProxy)
    {
        await using var app = await StartAsync(knownProxy is null ? [] : new() { ["ForwardedHeaders:KnownProxies:0"] = knownProxy });

        var client = await WhoAmIAsync(app, Forged);

        Assert.Equal("127.0.0.1", client);
    }

    [Fact]
    public async Task AKnownProxysForwardedForBecomesTheClientAddress()
    {
        await using var app = await StartAsync(new() { ["ForwardedHeaders:KnownProxies:0"] = "127.0.0.1" });

        var client = await WhoAmIAsync(app, Forged);

        Assert.Equal(Forged, client);
    }

    [Fact]
    public async Task AProxyInAKnownNetworkIsBelievedForOneHopOnly()
    {
        await using var app = await StartAsync(new() { ["ForwardedHeaders:KnownNetworks:0"] = "127.0.0.0/8" });

        // The client wrote the first entry itself; only the hop the proxy appended is believed.
        var client = await WhoAmIAsync(app, $"198.51.100.1, {Forged}");

        Assert.Equal(Forged, client);
    }

    [Theory]
    [InlineData("ForwardedHeaders:KnownProxies:0", "10.0.0.300", "ForwardedHeaders:KnownProxies:0 must be an IP address")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.0.0.0/33", "ForwardedHeaders:KnownNetworks:0 must be a network in CIDR notation")]
    [InlineData("ForwardedHeaders:ForwardLimit", "0", "ForwardedHeaders:ForwardLimit must be between 1 and 10")]
    public void AMalformedSettingStopsTheServiceNamingItsKey(string key, string value, string expected)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration[key] = value;
        builder.AddPlatformDefaults("sample-service");
        using var app = builder.Build();

        var failure = Assert.Throws<OptionsValidationException>(() => app.Services.GetRequiredService<IOptions<ForwardedClientsOptions>>().Value);

        Assert.Contains(failure.Failures, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    private static async Task<WebApplication> StartAsync(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddPlatformDefaults("sample-service");
        var app = builder.Build();
        app.UsePlatformDefaults();
        app.MapGet("/whoami", (HttpContext context) => context.Connection.RemoteIpAddress?.MapToIPv4().ToString());
        await app.StartAsync();
        return app;
    }

    private static async Task<string> WhoAmIAsync(WebApplication app, string forwardedFor)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(address) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }
}
