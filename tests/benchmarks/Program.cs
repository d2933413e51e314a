using BenchmarkDotNet.Running;

// Benchmarks of the cache, relay and read path are added with their features; BenchmarkSwitcher lists them.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

/// <summary>Entry point of the benchmark runner.</summary>
public partial class Program;
