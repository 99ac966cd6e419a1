using BenchmarkDotNet.Running;
using GpuSpread.Benchmarks;

// `dotnet run -c Release -- ceiling` measures the distance micro-kernel alone (GFLOP/s), for comparison with the
// float32 matrix-product ceiling that bench/kernel_ceiling.sh takes in the same run; `-- knn-graph X.npy` times the
// exact and the approximate knn graph and gives the recall; anything else goes to BenchmarkDotNet (e.g. `-- --filter '*'`).
if (args.Length > 0 && args[0] == "ceiling") return KernelCeiling.Run(args.Skip(1).ToArray());
if (args.Length > 0 && args[0] == "knn-graph") return KnnGraphTiming.Run(args.Skip(1).ToArray());
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
