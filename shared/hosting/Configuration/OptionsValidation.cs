using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Platform.Hosting.Configuration;

/// <summary>
/// Validation that names the configuration key (<c>Section:Property</c>) in every failure, so a bad setting
/// stops the service with one line an operator can act on.
/// </summary>
public static class OptionsValidation
{
    /// <summary>Binds <typeparamref name="TOptions"/> to <paramref name="section"/> and validates its data annotations at start.</summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, string section)
        where TOptions : class
    {
        services.AddSingleton<IValidateOptions<TOptions>>(new KeyNamingDataAnnotationsValidator<TOptions>(section));
        return services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
    }

    private sealed class KeyNamingDataAnnotationsValidator<TOptions>(string section) : IValidateOptions<TOptions>
        where TOptions : class
    {
        public ValidateOptionsResult Validate(string? name, TOptions options)
        {
            var results = new List<ValidationResult>();
            if (Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
            {
                return ValidateOptionsResult.Success;
            }

            return ValidateOptionsResult.Fail(results.Select(r =>
            {
                var member = r.MemberNames.FirstOrDefault() ?? "";
                return $"{section}:{member} {Describe(r.ErrorMessage, member)}";
            }));
        }

        // DataAnnotations messages read "The X field is required." or "The field X must ...": the key is named in front already.
        private static string Describe(string? message, string member)
        {
            if (message is null)
            {
                return "is invalid";
            }

            foreach (var lead in new[] { $"The {member} field ", $"The field {member} " })
            {
                if (message.StartsWith(lead, StringComparison.Ordinal))
                {
                    return message[lead.Length..].TrimEnd('.');
                }
            }

            return message.TrimEnd('.');
        }
    }
}
