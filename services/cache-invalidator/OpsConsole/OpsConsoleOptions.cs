using System.ComponentModel.DataAnnotations;

namespace CacheInvalidator.OpsConsole;

/// <summary>The ops console under <c>/ops/console</c> (section <c>OpsConsole</c>); ADR 015.</summary>
public sealed class OpsConsoleOptions : IValidatableObject
{
    public const string Section = "OpsConsole";

    /// <summary>Schemas whose outbox depth the status strip shows (read-only counts over each relay's own index).</summary>
    public List<string> OutboxSchemas { get; set; } = ["catalog", "analytics"];

    /// <summary>How long a sign-in lasts without use (sliding); a working day, so a forgotten tab does not stay signed in overnight.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Rows a dead-letter list shows at most per page; the count above it always covers every match.</summary>
    [Range(1, 1000)]
    public int PageSize { get; set; } = 100;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (SessionIdleTimeout < TimeSpan.FromMinutes(1) || SessionIdleTimeout > TimeSpan.FromDays(7))
        {
            yield return new ValidationResult("must be from 00:01:00 to 7.00:00:00", [nameof(SessionIdleTimeout)]);
        }

        for (var i = 0; i < OutboxSchemas.Count; i++)
        {
            if (OutboxSchemas[i] is not { Length: > 0 and <= 55 } schema || !schema.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_') || char.IsDigit(schema[0]))
            {
                yield return new ValidationResult("must be a lowercase schema name ([a-z_][a-z0-9_]*)", [$"{nameof(OutboxSchemas)}:{i}"]);
            }
        }
    }
}
