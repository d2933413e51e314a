using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using Platform.Hosting.Configuration;

namespace Platform.Hosting.Http;

/// <summary>
/// ASP.NET Core's forwarded headers, trusting only the proxies of <see cref="ForwardedClientsOptions"/>. Behind them,
/// <c>Connection.RemoteIpAddress</c> is the real client, so every per-client limit (failed keys, token buckets) counts
/// clients instead of the proxy; from any other peer the headers are ignored. ASP.NET Core's own default trusts
/// loopback, which would let any local process (or a proxy nobody configured) speak for any address: it is cleared.
/// </summary>
public static class ForwardedClients
{
    public static IHostApplicationBuilder AddForwardedClients(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddValidatedOptions<ForwardedClientsOptions>(ForwardedClientsOptions.Section);
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ForwardedClientsOptions>>((options, clients) =>
        {
            options.ForwardLimit = clients.Value.ForwardLimit;
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            // Entries that do not parse stopped the service at start (options validation); none reach here.
            foreach (var proxy in clients.Value.KnownProxies)
            {
                if (IPAddress.TryParse(proxy, out var address))
                {
                    options.KnownProxies.Add(address);
                }
            }

            foreach (var network in clients.Value.KnownNetworks)
            {
                if (System.Net.IPNetwork.TryParse(network, out var parsed))
                {
                    options.KnownIPNetworks.Add(parsed);
                }
            }

            // Both lists empty means "trust every peer" to the middleware, so with no proxy configured it reads nothing.
            options.ForwardedHeaders = options.KnownProxies.Count + options.KnownIPNetworks.Count == 0
                ? ForwardedHeaders.None
                : ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
        });
        return builder;
    }

    /// <summary>First in the pipeline, so everything after it sees the client a trusted proxy forwarded.</summary>
    public static IApplicationBuilder UseForwardedClients(this IApplicationBuilder app) => app.UseForwardedHeaders();
}
