using System.ComponentModel.DataAnnotations;

namespace Platform.Hosting.Configuration;

/// <summary>Identity of this process in a cluster of nodes of the same service.</summary>
public sealed class ServiceOptions
{
    public const string Section = "Service";

    /// <summary>Service name used in logs, traces and metrics. Defaults to the name the service registers with.</summary>
    [Required, RegularExpression("^[a-z][a-z0-9-]{1,62}$", ErrorMessage = "must be lowercase letters, digits and dashes")]
    public string Name { get; set; } = "";

    /// <summary>Node name, unique per process of a service (./platform gives each node its own). Defaults to host name + pid.</summary>
    [Required, RegularExpression("^[A-Za-z0-9._-]{1,100}$", ErrorMessage = "must be 1-100 letters, digits, '.', '_' or '-'")]
    public string NodeName { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";
}
