using System.Reflection;
using System.Text;

namespace Platform.Hosting.Migrations;

/// <summary>
/// Loads migration scripts named <c>&lt;version&gt;_&lt;name&gt;.sql</c> (e.g. <c>0001_create_products.sql</c>:
/// version 1, name <c>0001_create_products</c>), sorted by version. A name without a leading version, or two
/// scripts with the same version, is a <see cref="MigrationException"/> naming the file.
/// </summary>
public static class MigrationSource
{
    /// <summary>
    /// Reads the embedded resources of <paramref name="assembly"/> whose name ends in <c>.sql</c> and contains
    /// <paramref name="folder"/> (the default matches a project's <c>Migrations/</c> folder; pass an empty string for all).
    /// The file name is what follows the last occurrence of the folder, so keep migrations directly in that folder.
    /// </summary>
    public static IReadOnlyList<MigrationScript> FromAssembly(Assembly assembly, string folder = ".Migrations.")
    {
        ArgumentNullException.ThrowIfNull(assembly);
        folder ??= string.Empty;
        var scripts = new List<(MigrationScript, string)>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.EndsWith(".sql", StringComparison.OrdinalIgnoreCase)
                || (folder.Length > 0 && !resource.Contains(folder, StringComparison.Ordinal)))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)
                ?? throw new MigrationException(resource, $"migration {resource} is listed but cannot be read from {assembly.GetName().Name}");
            using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            scripts.Add((MigrationPlan.Parse(FileName(resource, folder), reader.ReadToEnd(), resource), resource));
        }

        return MigrationPlan.Order(scripts);
    }

    /// <summary>Reads the <c>*.sql</c> files directly inside <paramref name="directory"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static IReadOnlyList<MigrationScript> FromDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var scripts = new List<(MigrationScript, string)>();
        foreach (var path in Directory.EnumerateFiles(directory, "*.sql", SearchOption.TopDirectoryOnly))
        {
            // The *.sql pattern also matches *.sqlx on Windows (8.3 names).
            if (!path.EndsWith(".sql", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            scripts.Add((MigrationPlan.Parse(Path.GetFileName(path), File.ReadAllText(path, Encoding.UTF8), path), path));
        }

        return MigrationPlan.Order(scripts);
    }

    private static string FileName(string resource, string folder)
    {
        // Resource names join folders with dots, so a file name's own dots cannot be told apart from folders;
        // cutting after the folder keeps 0001_add.v2.sql whole.
        if (folder.Length > 0)
        {
            return resource[(resource.LastIndexOf(folder, StringComparison.Ordinal) + folder.Length)..];
        }

        var withoutExtension = resource[..^4];
        return withoutExtension[(withoutExtension.LastIndexOf('.') + 1)..] + resource[^4..];
    }
}
