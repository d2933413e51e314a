using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace CacheInvalidator.Tests.Requests;

/// <summary>
/// The worked examples of docs/publishing.md, taken from the file as they are written (fenced blocks tagged
/// <c>example=NAME</c>), and run: C# through Roslyn as a console program with the SDK's implicit usings, bash as a script.
/// </summary>
public static partial class GuideExamples
{
    private static readonly string[] ImplicitUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    public static string GuidePath { get; } = Path.Combine(RepositoryRoot(), "docs", "publishing.md");

    /// <summary>The code of the block tagged <c>example=<paramref name="name"/></c>, and its language.</summary>
    public static (string Language, string Code) Block(string name)
    {
        var blocks = Fenced().Matches(File.ReadAllText(GuidePath)).Where(m => m.Groups["name"].Value == name).ToList();
        var block = Assert.Single(blocks);
        return (block.Groups["language"].Value, block.Groups["code"].Value);
    }

    /// <summary>Compiles <paramref name="code"/> (top-level statements) against the assemblies the tests run with, and runs it.</summary>
    public static async Task RunCSharpAsync(string code, TimeSpan timeout)
    {
        var options = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);
        var usings = CSharpSyntaxTree.ParseText(string.Concat(ImplicitUsings.Select(u => $"global using {u};\n")), options);
        var compilation = CSharpCompilation.Create(
            "guide-example-" + Guid.NewGuid().ToString("N"),
            [usings, CSharpSyntaxTree.ParseText(code, options)],
            References(),
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.True(emitted.Success, "the example compiles:\n" + string.Join('\n', emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));

        image.Position = 0;
        var context = new AssemblyLoadContext("guide-example", isCollectible: true);
        try
        {
            var entry = context.LoadFromStream(image).EntryPoint!;
            object?[] arguments = entry.GetParameters().Length == 0 ? [] : [Array.Empty<string>()];
            var run = Task.Run(() =>
            {
                try
                {
                    entry.Invoke(null, arguments);
                }
                catch (TargetInvocationException e) when (e.InnerException is not null)
                {
                    throw e.InnerException;
                }
            });
            await run.WaitAsync(timeout);
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>Runs <paramref name="script"/> with bash -euo pipefail and <paramref name="environment"/>; returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunBashAsync(string script, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("bash", ["-euo", "pipefail", "-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the script did not finish within {timeout.TotalSeconds} s");
        }

        return (process.ExitCode, await output + await error);
    }

    private static List<MetadataReference> References()
    {
        // The test host's dependencies (MassTransit, RabbitMQ.Client, the contracts …) and the framework.
        _ = typeof(MassTransit.Bus);
        _ = typeof(MassTransit.RabbitMqBusFactoryConfiguratorExtensions);
        _ = typeof(RabbitMQ.Client.ConnectionFactory);
        _ = typeof(Platform.Contracts.Caching.CacheNames);
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat(AppDomain.CurrentDomain.GetAssemblies().Where(a => !a.IsDynamic && a.Location.Length > 0).Select(a => a.Location))
            .Concat(Directory.GetFiles(AppContext.BaseDirectory, "*.dll"));
        return [.. paths.DistinctBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase).Where(IsManaged).Select(p => MetadataReference.CreateFromFile(p))];
    }

    private static bool IsManaged(string path)
    {
        try
        {
            _ = AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Platform.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Platform.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("^```(?<language>[a-z]+) example=(?<name>[a-z-]+)\\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fenced();
}
