namespace Platform.DeadLetters.Http;

/// <summary>Body of <c>POST /ops/dead-letters/replay</c>: exactly one of ids, group or all; filters narrow group or all.</summary>
public sealed record ReplayRequest(
    IReadOnlyList<long>? Ids = null,
    string? Group = null,
    bool All = false,
    string? Type = null,
    string? Exception = null,
    string? Since = null,
    string? Queue = null,
    bool DryRun = false);
