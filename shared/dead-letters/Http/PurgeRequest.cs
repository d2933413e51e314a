namespace Platform.DeadLetters.Http;

/// <summary>Body of <c>POST /ops/dead-letters/purge</c>; a purge of a group or all needs <c>confirm: true</c>.</summary>
public sealed record PurgeRequest(
    IReadOnlyList<long>? Ids = null,
    string? Group = null,
    bool All = false,
    string? Type = null,
    string? Exception = null,
    string? Since = null,
    string? Queue = null,
    bool DryRun = false,
    bool Confirm = false);
