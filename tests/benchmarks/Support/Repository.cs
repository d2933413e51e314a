namespace Platform.Benchmarks.Support;

/// <summary>The checkout the benchmarks run in: they apply the services' migrations and use <c>.platform/</c>.</summary>
internal static class Repository
{
    /// <summary>The folder holding Platform.sln, from the working directory or the binary's.</summary>
    public static string Root()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Platform.sln")))
                {
                    return directory.FullName;
                }
            }
        }

        throw new InvalidOperationException("run from inside the repository: the benchmarks apply the services' Migrations folders and read .platform/");
    }
}
