namespace Platform.DeadLetters;

/// <summary>API-key scopes of the ops API; the host registers them with <c>AddApiKeyAuthentication</c>.</summary>
public static class OpsScopes
{
    /// <summary>Inspect, replay and purge dead letters; also the name of the authorization policy that requires it.</summary>
    public const string Admin = "ops:admin";
}
