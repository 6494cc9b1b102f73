using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Injector.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Injector.Benchmarks.InjectionBenchmarks).Assembly).Run(args);
