using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Caching;

/// <summary>
/// Checks <see cref="CacheOptions"/> (its attributes and its own rules) at start and names each bad key as
/// <c>Cache:Key</c>, the form the services print on one line before they exit. The cache library's own, so it needs
/// no hosting library.
/// </summary>
internal sealed class CacheOptionsValidator : IValidateOptions<CacheOptions>
{
    public ValidateOptionsResult Validate(string? name, CacheOptions options)
    {
        var results = new List<ValidationResult>();
        return Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(results.Select(r => $"{CacheOptions.Section}:{r.MemberNames.FirstOrDefault()} {r.ErrorMessage}"));
    }
}
