using System.Globalization;
using System.Text.RegularExpressions;

namespace Platform.Hosting.Migrations;

// The naming and ordering rules shared by the sources and the migrator, so a hand-built script list
// is held to the same rules as files.
internal static partial class MigrationPlan
{
    [GeneratedRegex("^(?<version>[0-9]+)_", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPrefix();

    public static MigrationScript Parse(string fileName, string sql, string origin)
    {
        var name = fileName.EndsWith(".sql", StringComparison.OrdinalIgnoreCase) ? fileName[..^4] : fileName;
        var version = ParseVersion(name) ?? throw BadName(origin);
        return new MigrationScript(version, name, sql, Transactional: !SqlText.HasNoTransactionMarker(sql));
    }

    public static IReadOnlyList<MigrationScript> Order(IEnumerable<(MigrationScript Script, string Origin)> scripts)
    {
        var byVersion = new SortedDictionary<int, (MigrationScript Script, string Origin)>();
        foreach (var (script, origin) in scripts)
        {
            ArgumentNullException.ThrowIfNull(script);
            if (ParseVersion(script.Name) is not { } version)
            {
                throw BadName(origin);
            }

            if (version != script.Version)
            {
                throw new MigrationException(origin, $"migration {origin} has version {script.Version} but its name says {version}");
            }

            if (script.Transactional == SqlText.HasNoTransactionMarker(script.Sql))
            {
                // The file is the one place that says how a script runs; a flag that disagrees is a bug in the caller.
                throw new MigrationException(
                    origin,
                    script.Transactional
                        ? $"migration {origin} starts with {SqlText.NoTransactionMarker} but is marked transactional"
                        : $"migration {origin} is marked non-transactional but does not start with {SqlText.NoTransactionMarker}");
            }

            if (!byVersion.TryAdd(version, (script, origin)))
            {
                throw new MigrationException(
                    origin,
                    $"migrations {byVersion[version].Origin} and {origin} both have version {version}; give one of them a new number");
            }
        }

        return [.. byVersion.Values.Select(entry => entry.Script)];
    }

    private static int? ParseVersion(string name)
    {
        var match = VersionPrefix().Match(name);
        return match.Success && int.TryParse(match.Groups["version"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : null;
    }

    private static MigrationException BadName(string origin) =>
        new(origin, $"migration {origin} is not named like 0001_create_products.sql (a version, an underscore, a name)");
}
