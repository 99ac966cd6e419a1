using BenchmarkDotNet.Attributes;
using GpuSpread.Engine.Cpu;
using GpuSpread.Engine.Gpu;

namespace GpuSpread.Benchmarks;

/// <summary>
/// The engine's stages on the benchmark data, set-up outside the timing: the rbf affinity stage (spatial order,
/// tile bounds and the degree pass), the exact knn graph, and one spreading iteration on a built rbf graph.
/// Parameters: the engine (the CPU engine, the baseline, and the GPU engine where a CUDA or OpenCL GPU is found: the
/// simulator is too slow for these sizes) and the number of rows.
/// </summary>
[MemoryDiagnoser]
public class EngineBenchmarks
{
    private IDiffusionEngine _engine = null!;
    private FeatureMatrix _features = null!;
    private int[] _classIndex = null!;
    private IAffinityGraph _rbfGraph = null!;
    private readonly DiffusionOptions _options = DiffusionOptions.Spreading();

    [ParamsSource(nameof(Engines))]
    public string Engine { get; set; } = "cpu";

    public static IEnumerable<string> Engines()
    {
        yield return "cpu";
        if (GpuEngine.TryCreate(out var gpu, out _))
        {
            gpu.Dispose();
            yield return "gpu";
        }
    }

    [Params(5000, 20000)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _engine = Engine switch
        {
            "cpu" => new CpuEngine(),
            "gpu" => GpuEngine.Create(),
            _ => throw new ArgumentException($"unknown engine {Engine}"),
        };
        (_features, _classIndex) = Data.Synthetic(N);
        _rbfGraph = _engine.BuildGraph(_features, _options);
        _engine.Diffuse(_rbfGraph, _classIndex, Data.Classes, _options with { MaxIter = 1 }); // JIT and caches warm
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _rbfGraph.Dispose();
        _engine.Dispose();
    }

    [Benchmark(Description = "rbf affinity stage (degree pass)")]
    public void RbfAffinity()
    {
        using var graph = _engine.BuildGraph(_features, _options);
    }

    [Benchmark(Description = "exact 7-NN graph")]
    public void KnnGraph()
    {
        using var graph = _engine.BuildGraph(_features, _options with { Kernel = AffinityKernel.Knn });
    }

    [Benchmark(Description = "one rbf spreading iteration")]
    public DiffusionResult OneIteration() => _engine.Diffuse(_rbfGraph, _classIndex, Data.Classes, _options with { MaxIter = 1 });
}
