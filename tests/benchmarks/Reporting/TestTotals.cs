using System.Globalization;
using System.Xml.Linq;

namespace Platform.Benchmarks.Reporting;

/// <summary>
/// The totals of a <c>dotnet test</c> run, read from the TRX files its <c>--logger trx</c> wrote (one per test
/// project): the runner's own counters, not its console text.
/// </summary>
internal sealed record TestTotals(int Passed, int Failed, int Skipped)
{
    private static readonly XNamespace Trx = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

    public static TestTotals Read(string folder)
    {
        var totals = new TestTotals(0, 0, 0);
        if (!Directory.Exists(folder))
        {
            return totals;
        }

        foreach (var file in Directory.EnumerateFiles(folder, "*.trx", SearchOption.AllDirectories))
        {
            var counters = XDocument.Load(file).Root?.Element(Trx + "ResultSummary")?.Element(Trx + "Counters");
            if (counters is null)
            {
                continue;
            }

            int Count(string name) => int.TryParse(counters.Attribute(name)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
            totals = new TestTotals(
                totals.Passed + Count("passed"),
                totals.Failed + Count("failed") + Count("error") + Count("timeout") + Count("aborted"),
                totals.Skipped + Count("notExecuted"));
        }

        return totals;
    }
}
