using Platform.Contracts.Caching;

namespace CacheInvalidator.Invalidation;

/// <summary>A <see cref="CacheInvalidationRequested"/> that can never succeed: dead-lettered at once, with this message as the reason.</summary>
public sealed class InvalidInvalidationRequestException(string message) : Exception(message)
{
    public InvalidInvalidationRequestException()
        : this("invalid invalidation request")
    {
    }

    public InvalidInvalidationRequestException(string message, Exception innerException)
        : this(message + ": " + innerException.Message)
    {
    }
}

/// <summary>Limits on direct invalidation requests, so one sender cannot flood Redis or smuggle odd names.</summary>
public static class InvalidationRequestValidator
{
    public const int MaxKeys = 100;
    public const int MaxTags = 100;
    public const int MaxReasonLength = 500;
    public const int MaxSourceLength = 100;
    public const int MaxActorLength = 100;

    public static void ThrowIfInvalid(CacheInvalidationRequested request)
    {
        var problems = Problems(request);
        if (problems.Count > 0)
        {
            throw new InvalidInvalidationRequestException("CacheInvalidationRequested rejected: " + string.Join("; ", problems.Take(10).Select(p => p.Message)));
        }
    }

    /// <summary>What is wrong with <paramref name="request"/>, each with the field it concerns (HTTP reports them by field); empty when it is valid.</summary>
    public static IReadOnlyList<(string Field, string Message)> Problems(CacheInvalidationRequested request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problems = new List<(string Field, string Message)>();
        var keys = request.Keys ?? [];
        var tags = request.Tags ?? [];
        if (request.Keys is null)
        {
            problems.Add(("keys", "keys is missing (send an empty list for none)"));
        }

        if (request.Tags is null)
        {
            problems.Add(("tags", "tags is missing (send an empty list for none)"));
        }

        if (keys.Count == 0 && tags.Count == 0)
        {
            problems.Add(("keys", "names no key and no tag"));
        }

        if (keys.Count > MaxKeys)
        {
            problems.Add(("keys", $"has {keys.Count} keys (at most {MaxKeys})"));
        }

        if (tags.Count > MaxTags)
        {
            problems.Add(("tags", $"has {tags.Count} tags (at most {MaxTags})"));
        }

        for (var i = 0; i < Math.Min(keys.Count, MaxKeys); i++)
        {
            if (!CacheNames.IsValidKey(keys[i]))
            {
                problems.Add(($"keys[{i}]", $"keys[{i}] is not a valid cache key (1-{CacheNames.MaxLength} printable ASCII characters, no spaces)"));
            }
        }

        for (var i = 0; i < Math.Min(tags.Count, MaxTags); i++)
        {
            if (!CacheNames.IsValidTag(tags[i]))
            {
                problems.Add(($"tags[{i}]", $"tags[{i}] is not a valid cache tag (1-{CacheNames.MaxLength} printable ASCII characters, no spaces)"));
            }
        }

        if (string.IsNullOrWhiteSpace(request.Source) || request.Source.Length > MaxSourceLength)
        {
            problems.Add(("source", $"source must name the sending service (1-{MaxSourceLength} characters)"));
        }

        if (request.Reason is { Length: > MaxReasonLength })
        {
            problems.Add(("reason", $"reason is longer than {MaxReasonLength} characters"));
        }

        if (request.Actor is { } actor && (string.IsNullOrWhiteSpace(actor) || actor.Length > MaxActorLength))
        {
            problems.Add(("actor", $"actor must be 1-{MaxActorLength} characters when present"));
        }

        return problems;
    }
}
