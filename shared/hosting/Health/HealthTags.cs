namespace Platform.Hosting;

/// <summary>Tags that decide which health endpoint runs a check.</summary>
public static class HealthTags
{
    /// <summary>Checks run by <c>/health/ready</c>: the servers this service cannot work without.</summary>
    public const string Ready = "ready";
}
