using System.Text.Json.Nodes;

namespace Platform.DeadLetters.Operations;

/// <summary>Everything stored about one dead letter. The body is given as text when it is UTF-8, and always as base64.</summary>
public sealed record DeadLetterDetail(
    DeadLetterSummary DeadLetter,
    string? ContentType,
    JsonObject Properties,
    JsonObject Headers,
    int BodyLength,
    string? BodyText,
    string BodyBase64,
    string? ExceptionStack,
    DateTimeOffset StoredAt,
    DateTimeOffset? PurgedAt,
    string? PurgedBy);
