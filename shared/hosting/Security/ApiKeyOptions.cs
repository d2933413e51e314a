using System.ComponentModel.DataAnnotations;

namespace Platform.Hosting.Security;

/// <summary>API keys accepted by a service (section <c>Auth</c>). Keys come from configuration, never from source.</summary>
public sealed class ApiKeyOptions : IValidatableObject
{
    public const string Section = "Auth";

    /// <summary>Header carrying the key.</summary>
    public const string HeaderName = "X-Api-Key";

    public List<ApiKey> ApiKeys { get; set; } = [];

    /// <summary>
    /// Unknown keys one client address may present in <see cref="FailedKeyWindow"/>; after that every key from it, even a
    /// right one, gets 429 until the window ends. Ten covers typos and rotations; guessing needs billions.
    /// </summary>
    [Range(1, 1_000_000)]
    public int FailedKeyLimit { get; set; } = 10;

    /// <summary>The window of <see cref="FailedKeyLimit"/> (1 second to 1 day): how long a client that reached it waits.</summary>
    public TimeSpan FailedKeyWindow { get; set; } = TimeSpan.FromMinutes(5);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (FailedKeyWindow < TimeSpan.FromSeconds(1) || FailedKeyWindow > TimeSpan.FromDays(1))
        {
            yield return new ValidationResult("must be from 00:00:01 to 1.00:00:00", [nameof(FailedKeyWindow)]);
        }

        for (var i = 0; i < ApiKeys.Count; i++)
        {
            var key = ApiKeys[i];
            if (string.IsNullOrWhiteSpace(key.Name))
            {
                yield return new ValidationResult("is required", [$"ApiKeys:{i}:Name"]);
            }

            // Short keys are guessable; ./platform generates 48 hex characters.
            if (key.Key is null || key.Key.Length < 16)
            {
                yield return new ValidationResult("must be at least 16 characters", [$"ApiKeys:{i}:Key"]);
            }

            if (key.Scopes.Count == 0 || key.Scopes.Any(string.IsNullOrWhiteSpace))
            {
                yield return new ValidationResult("must list at least one non-empty scope", [$"ApiKeys:{i}:Scopes"]);
            }
        }

        if (ApiKeys.GroupBy(k => k.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            yield return new ValidationResult($"name '{duplicate.Key}' is used twice", ["ApiKeys"]);
        }
    }
}

/// <summary>One client's key and what it may do.</summary>
public sealed class ApiKey
{
    public string Name { get; set; } = "";

    public string Key { get; set; } = "";

    public List<string> Scopes { get; set; } = [];
}
