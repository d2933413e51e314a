using System.Runtime.InteropServices;

namespace Platform.Benchmarks.Reporting;

/// <summary>What the reports say about the machine: the load average goes with every figure (2 shared cores).</summary>
internal static class Machine
{
    /// <summary>The 1, 5 and 15 minute load averages, e.g. <c>3.10 2.95 2.80</c>; <c>n/a</c> off Linux.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>The 1 minute load average alone, for per-round notes.</summary>
    public static string Load1() => LoadAverage().Split(' ')[0];

    public static string? Cpu() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;

    /// <summary>Total memory in GiB from /proc/meminfo; NaN when unknown.</summary>
    public static double MemoryGiB()
    {
        var line = File.Exists("/proc/meminfo") ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) : null;
        return line?.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var kb, ..] && double.TryParse(kb, out var value)
            ? Math.Round(value / (1024 * 1024), 1)
            : double.NaN;
    }

    /// <summary>One line for a report header: cores, OS, runtime and the load average now.</summary>
    public static string Describe() =>
        $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}; load average {LoadAverage()}";
}
