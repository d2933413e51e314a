using System.Globalization;

namespace CacheInvalidator.OpsConsole;

/// <summary>How the console writes times, ages and type names.</summary>
internal static class Format
{
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    public static string Time(DateTimeOffset? time) => time is { } t ? Time(t) : "-";

    public static string Age(TimeSpan age) => age switch
    {
        { TotalSeconds: < 1 } => "<1 s",
        { TotalMinutes: < 1 } => $"{(int)age.TotalSeconds} s",
        { TotalHours: < 1 } => $"{(int)age.TotalMinutes} min",
        { TotalDays: < 2 } => $"{(int)age.TotalHours} h {age.Minutes} min",
        _ => $"{(int)age.TotalDays} d {age.Hours} h",
    };

    /// <summary>The last part of a .NET or URN type name (<c>Platform.Contracts.Catalog.ProductUpdated</c> → <c>ProductUpdated</c>).</summary>
    public static string? Short(string? type) => type is null ? null : type[(type.LastIndexOfAny(['.', ':', '+']) + 1)..];
}
