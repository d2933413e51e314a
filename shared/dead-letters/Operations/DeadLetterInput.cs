using System.Globalization;
using System.Text.RegularExpressions;

namespace Platform.DeadLetters.Operations;

/// <summary>
/// Parsing and validation of ops input, shared by the HTTP API and the CLI so both accept and refuse the same things
/// with the same words.
/// </summary>
internal static partial class DeadLetterInput
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 1000;
    public const int MaxIds = 10_000;
    private const int MaxTextLength = 500;

    public static DeadLetterFilter ParseFilter(
        string? status, string? type, string? exception, string? since, string? queue, string? group, DateTimeOffset now, InputErrors errors)
    {
        string? parsedStatus = DeadLetterStatus.Stored;
        if (status is not null)
        {
            parsedStatus = status.Trim().ToLowerInvariant() switch
            {
                DeadLetterStatus.Stored => DeadLetterStatus.Stored,
                DeadLetterStatus.Replayed => DeadLetterStatus.Replayed,
                DeadLetterStatus.Purged => DeadLetterStatus.Purged,
                "all" => null,
                _ => Invalid(errors, "status", $"'{status}' is not one of stored, replayed, purged, all"),
            };
        }

        return new DeadLetterFilter(
            parsedStatus,
            Text(type, "type", errors),
            Text(exception, "exception", errors),
            Since(since, now, errors),
            Text(queue, "queue", errors),
            Group(group, errors));
    }

    public static int ParseLimit(string? text, InputErrors errors)
    {
        if (text is null)
        {
            return DefaultLimit;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit is < 1 or > MaxLimit)
        {
            errors.Report("limit", $"must be a whole number from 1 to {MaxLimit}, not '{text}'");
            return DefaultLimit;
        }

        return limit;
    }

    public static long ParseId(string text, InputErrors errors)
    {
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 1)
        {
            errors.Report("id", $"must be a positive whole number, not '{text}'");
            return 0;
        }

        return id;
    }

    /// <summary>Exactly one of ids, group or all; filters only narrow a group or all.</summary>
    public static DeadLetterSelection ParseSelection(
        IReadOnlyList<long>? ids, string? group, bool all, string? type, string? exception, string? since, string? queue, DateTimeOffset now, InputErrors errors)
    {
        ids ??= [];
        var filter = ParseFilter(null, type, exception, since, queue, group, now, errors);
        var chosen = (ids.Count > 0 ? 1 : 0) + (group is not null ? 1 : 0) + (all ? 1 : 0);
        if (chosen != 1)
        {
            errors.Report("selection", chosen == 0 ? "choose what to act on: ids, group or all" : "choose only one of ids, group or all");
        }

        var filtered = filter.Type is not null || filter.Exception is not null || filter.Queue is not null || filter.Since is not null;
        if (ids.Count > 0 && filtered)
        {
            errors.Report("ids", "filters (type, exception, since, queue) narrow a group or all, not explicit ids");
        }

        if (ids.Any(id => id < 1))
        {
            errors.Report("ids", "must all be positive");
        }

        var distinct = ids.Distinct().ToList();
        if (distinct.Count > MaxIds)
        {
            errors.Report("ids", $"at most {MaxIds} per request");
        }

        return new DeadLetterSelection(distinct, filter.Group, all, filter with { Group = null });
    }

    /// <summary>How far back a duration may reach: ten years, longer than any dead letter is kept.</summary>
    public static readonly TimeSpan MaxAgo = TimeSpan.FromDays(3650);

    /// <summary>Earliest time <c>since</c> may name.</summary>
    public static readonly DateTimeOffset FirstTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Latest time <c>since</c> may name.</summary>
    public static readonly DateTimeOffset LastTime = new(2999, 12, 31, 23, 59, 59, TimeSpan.Zero);

    /// <summary>What <c>since</c> accepts, as a reason when it is refused.</summary>
    public static readonly string SinceRule =
        $"must be a duration ago of at most {MaxAgo.TotalDays:0}d ({MaxAgo.TotalHours:0}h; e.g. 30s, 15m, 2h, 7d) or an ISO 8601 time "
        + $"from {FirstTime:yyyy-MM-ddTHH:mm:ssZ} to {LastTime:yyyy-MM-ddTHH:mm:ssZ} (e.g. 2026-11-21T10:00:00Z)";

    /// <summary>
    /// <c>30s</c>, <c>15m</c>, <c>2h</c>, <c>7d</c> ago (at most <see cref="MaxAgo"/>), or an ISO 8601 date or time (UTC unless it
    /// says otherwise) from <see cref="FirstTime"/> to <see cref="LastTime"/>. Ranges are checked before any arithmetic.
    /// </summary>
    public static bool TryParseSince(string text, DateTimeOffset now, out DateTimeOffset since)
    {
        since = default;
        var relative = Relative().Match(text.Trim());
        if (relative.Success && int.TryParse(relative.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            var ago = relative.Groups[2].Value switch
            {
                "s" => TimeSpan.FromSeconds(amount),
                "m" => TimeSpan.FromMinutes(amount),
                "h" => TimeSpan.FromHours(amount),
                _ => TimeSpan.FromDays(amount),
            };
            if (ago > MaxAgo || now - FirstTime < ago)
            {
                return false;
            }

            since = now - ago;
            return true;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out since)
            && since >= FirstTime && since <= LastTime;
    }

    private static DateTimeOffset? Since(string? text, DateTimeOffset now, InputErrors errors)
    {
        if (text is null)
        {
            return null;
        }

        if (!TryParseSince(text, now, out var since))
        {
            errors.Report("since", $"'{text}' {SinceRule}");
            return null;
        }

        return since;
    }

    private static string? Group(string? text, InputErrors errors)
    {
        if (text is null)
        {
            return null;
        }

        var group = text.Trim().ToLowerInvariant();
        if (!Fingerprint().IsMatch(group))
        {
            errors.Report("group", $"'{text}' is not a group fingerprint (16 hex digits, as `dlq groups` shows)");
            return null;
        }

        return group;
    }

    private static string? Text(string? text, string field, InputErrors errors)
    {
        if (text is null)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxTextLength || text.Contains('\0', StringComparison.Ordinal))
        {
            errors.Report(field, $"must be 1-{MaxTextLength} characters");
            return null;
        }

        return text.Trim();
    }

    private static string? Invalid(InputErrors errors, string field, string message)
    {
        errors.Report(field, message);
        return DeadLetterStatus.Stored;
    }

    [GeneratedRegex("^([0-9]{1,6})([smhd])$")]
    private static partial Regex Relative();

    [GeneratedRegex("^[0-9a-f]{16}$")]
    private static partial Regex Fingerprint();
}
