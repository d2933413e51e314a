using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Platform.Hosting.Http;

/// <summary>
/// The proxies whose <c>X-Forwarded-For</c> / <c>X-Forwarded-Proto</c> a service believes (section <c>ForwardedHeaders</c>).
/// None by default: a service reached directly must not let a client choose its own address by sending the header.
/// </summary>
public sealed class ForwardedClientsOptions : IValidatableObject
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Addresses of the proxies in front of the service (e.g. <c>10.0.0.5</c>); only their headers are read.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of such proxies in CIDR notation (e.g. <c>10.0.0.0/24</c>), for proxies that scale out.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>
    /// How many proxy hops of <c>X-Forwarded-For</c> are unwound, from the right. 1: one proxy (a load balancer) in front;
    /// each entry beyond the known proxies' is the client's own claim and is not believed.
    /// </summary>
    [Range(1, 10)]
    public int ForwardLimit { get; set; } = 1;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < KnownProxies.Count; i++)
        {
            if (!IPAddress.TryParse(KnownProxies[i], out _))
            {
                yield return new ValidationResult("must be an IP address, e.g. 10.0.0.5", [$"{nameof(KnownProxies)}:{i}"]);
            }
        }

        for (var i = 0; i < KnownNetworks.Count; i++)
        {
            if (!IPNetwork.TryParse(KnownNetworks[i], out _))
            {
                yield return new ValidationResult("must be a network in CIDR notation, e.g. 10.0.0.0/24", [$"{nameof(KnownNetworks)}:{i}"]);
            }
        }
    }
}
