using Microsoft.Extensions.Options;

namespace Platform.Hosting.Metrics;

/// <summary>Checks the meter list, which data annotations cannot express, and the series bound, naming the failing key.</summary>
internal sealed class MetricsOptionsValidator : IValidateOptions<MetricsOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Meters is null)
        {
            failures.Add($"{MetricsOptions.Section}:{nameof(MetricsOptions.Meters)} must be set");
        }
        else
        {
            for (var i = 0; i < options.Meters.Count; i++)
            {
                var entry = options.Meters[i];
                var key = $"{MetricsOptions.Section}:{nameof(MetricsOptions.Meters)}:{i}";
                if (string.IsNullOrWhiteSpace(entry))
                {
                    failures.Add($"{key} is empty; name a meter, or a prefix ending in '*'");
                }
                else if (entry.IndexOf('*', StringComparison.Ordinal) is var star && star >= 0 && star != entry.Length - 1)
                {
                    failures.Add($"{key} ('{entry}') may only have '*' at its end");
                }
            }
        }

        if (options.MaxSeriesPerInstrument < 1)
        {
            failures.Add($"{MetricsOptions.Section}:{nameof(MetricsOptions.MaxSeriesPerInstrument)} must be at least 1 (was {options.MaxSeriesPerInstrument})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
