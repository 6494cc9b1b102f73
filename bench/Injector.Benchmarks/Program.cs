using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Injector.Benchmarks -- --filter '*'
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Injector.Benchmarks.InjectionBenchmarks).Assembly).Run(args).ToList();

// A benchmark that cannot run (a validation error, a crash, a filter that matches nothing) fails the
// process, so that CI notices.
return summaries.Count == 0 || summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
