using System.ComponentModel.DataAnnotations;

namespace Platform.Hosting.Security;

/// <summary>API keys accepted by a service (section <c>Auth</c>). Keys come from configuration, never from source.</summary>
public sealed class ApiKeyOptions : IValidatableObject
{
    public const string Section = "Auth";

    /// <summary>Header carrying the key.</summary>
    public const string HeaderName = "X-Api-Key";

    public List<ApiKey> ApiKeys { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
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
