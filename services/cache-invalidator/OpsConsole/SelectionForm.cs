namespace CacheInvalidator.OpsConsole;

/// <summary>The fields of a replay or purge form.</summary>
internal sealed class SelectionForm
{
    public string[]? Ids { get; set; }

    public string? Group { get; set; }

    public string? All { get; set; }

    public string? Type { get; set; }

    public string? Exception { get; set; }

    public string? Since { get; set; }

    public string? Queue { get; set; }

    /// <summary><c>dry-run</c> (the default) or <c>replay</c>.</summary>
    public string? Mode { get; set; }

    /// <summary><c>yes</c> once the purge was confirmed.</summary>
    public string? Confirm { get; set; }
}
