using System.Diagnostics.CodeAnalysis;
using GpuSpread.Engine.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;

namespace GpuSpread.Engine.Gpu;

/// <summary>
/// The GPU engine: ILGPU kernels on CUDA or OpenCL (or, for tests, on ILGPU's CPU accelerator, a slow
/// simulator). It runs what the CPU engine runs (graphs of features, given graphs and both; every kNN graph option;
/// the fixed-point loop and conjugate gradients) but the approximate kNN search. The graph and F stay on the device
/// for the whole fit; the convergence test reads back one scalar per iteration; nothing of size n x n is ever allocated (every allocation goes through
/// <see cref="DeviceMemory"/>, which the tests bound linearly in n). Kernels are loaded once per engine (per
/// precision, on first use) into typed delegates.
/// </summary>
public sealed class GpuEngine : IDiffusionEngine
{
    private readonly Context _context;
    private readonly Accelerator _accelerator;
    private readonly object _gate = new();
    private readonly HashSet<IDisposable> _graphs = [];
    private StateKernels? _state;
    private PrecisionKernels<float, SingleReal>? _single;
    private PrecisionKernels<double, DoubleReal>? _double;
    private bool _disposed;

    private GpuEngine(Context context, Accelerator accelerator, string name, int simulatorThreads = 1)
    {
        _context = context;
        _accelerator = accelerator;
        Memory = new DeviceMemory(accelerator);
        SimulatorThreads = simulatorThreads;
        Description = new EngineDescription(name, GpuDevices.Describe(accelerator, simulatorThreads));
        ReductionThreads = accelerator.AcceleratorType == AcceleratorType.CPU
            ? simulatorThreads
            : Math.Min(256, LargestPowerOfTwo(accelerator.MaxNumThreadsPerGroup));
    }

    /// <summary>A CUDA GPU, else an OpenCL GPU.</summary>
    /// <exception cref="GpuUnavailableException">Neither is usable; the message says why.</exception>
    public static GpuEngine Create() =>
        TryCreate(out var engine, out string reason) ? engine : throw new GpuUnavailableException(reason);

    /// <summary>A CUDA GPU, else an OpenCL GPU; false with the reason when neither is usable (no fallback).</summary>
    public static bool TryCreate([NotNullWhen(true)] out GpuEngine? engine, out string reason)
    {
        var opened = GpuDevices.OpenGpu(out reason);
        engine = opened is { } pair ? new GpuEngine(pair.Context, pair.Accelerator, "gpu") : null;
        return engine is not null;
    }

    /// <summary>
    /// The same kernels on ILGPU's CPU accelerator (<c>--engine gpu-sim</c>), one thread per group: for tests and
    /// for checking results where there is no GPU; far slower than the CPU engine.
    /// </summary>
    public static GpuEngine CreateSimulator() => CreateSimulator(threadsPerGroup: 1);

    /// <summary>The simulator with groups of <paramref name="threadsPerGroup"/> threads (a power of two, at most 64), each on its own OS thread.</summary>
    internal static GpuEngine CreateSimulator(int threadsPerGroup)
    {
        if (threadsPerGroup < 1 || threadsPerGroup > 64 || (threadsPerGroup & (threadsPerGroup - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(threadsPerGroup), $"a power of two in 1..64, got {threadsPerGroup}");
        // Warps of at least 2 threads (ILGPU's minimum); two groups at a time (the CI machine has 2 cores).
        int warp = Math.Clamp(threadsPerGroup, 2, 4);
        var device = new CPUDevice(numThreadsPerWarp: warp, numWarpsPerMultiprocessor: Math.Max(1, threadsPerGroup / warp), numMultiprocessors: 2);
        var context = GpuDevices.CreateContext(builder => builder.CPU(device));
        try
        {
            return new GpuEngine(context, context.GetCPUDevice(0).CreateCPUAccelerator(context), "gpu-sim", threadsPerGroup);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>gpu or gpu-sim, and the device in words: a GPU's name, CUDA or OpenCL, memory and multiprocessors; the simulator's group size.</summary>
    public EngineDescription Description { get; }

    internal DeviceMemory Memory { get; }

    internal Accelerator Accelerator => _accelerator;

    /// <summary>Threads per group on the simulator (unused on a GPU).</summary>
    internal int SimulatorThreads { get; }

    /// <summary>Threads of the reduction groups (a power of two).</summary>
    internal int ReductionThreads { get; }

    internal StateKernels State
    {
        get
        {
            lock (_gate) return _state ??= new StateKernels(_accelerator);
        }
    }

    internal PrecisionKernels<T, TReal> Kernels<T, TReal>() where T : unmanaged where TReal : struct, IReal<T>
    {
        lock (_gate)
        {
            object kernels = typeof(T) == typeof(float)
                ? _single ??= new PrecisionKernels<float, SingleReal>(_accelerator)
                : _double ??= new PrecisionKernels<double, DoubleReal>(_accelerator);
            return (PrecisionKernels<T, TReal>)kernels;
        }
    }

    /// <summary>Everything the contract offers but the approximate kNN search: the knn search on the device is exact.</summary>
    public static EngineCapabilities DeclaredCapabilities { get; } = new(ApproximateKnnSearch: false);

    /// <summary><see cref="DeclaredCapabilities"/>.</summary>
    public EngineCapabilities Capabilities => DeclaredCapabilities;

    /// <inheritdoc/>
    public IAffinityGraph BuildGraph(GraphInput input, DiffusionOptions options,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        DiffusionArguments.CheckBuild(this, input, options);
        var graph = GpuGraphs.Build(this, input, options, progress, cancellation);
        lock (_gate) _graphs.Add(graph);
        return graph;
    }

    /// <inheritdoc/>
    public DiffusionResult Diffuse(IAffinityGraph graph, ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default, ReadOnlySpan<double> start = default)
    {
        DiffusionArguments.Check(graph, classIndex, classes, options, start);
        return Own(graph).Diffuse(classIndex, classes, options, start, progress, cancellation);
    }

    /// <inheritdoc/>
    public double[] PredictProba(IAffinityGraph graph, DiffusionResult fitted, FeatureMatrix newFeatures,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(fitted);
        ArgumentNullException.ThrowIfNull(newFeatures);
        return Own(graph).PredictProba(fitted, newFeatures, cancellation);
    }

    private GpuGraph Own(IAffinityGraph graph) => graph is GpuGraph own && own.Engine == this ? own
        : throw new ArgumentException($"the graph was built by another engine ({graph?.GetType().Name}), not by this GPU engine", nameof(graph));

    internal void Forget(IDisposable graph)
    {
        lock (_gate) _graphs.Remove(graph);
    }

    /// <summary>Frees the graphs still alive, then the accelerator, then the context (reverse order of creation).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        IDisposable[] graphs;
        lock (_gate) graphs = [.. _graphs];
        foreach (var graph in graphs) graph.Dispose();
        _accelerator.Dispose();
        _context.Dispose();
    }

    private static int LargestPowerOfTwo(int value)
    {
        int result = 1;
        while (result * 2 <= value) result *= 2;
        return result;
    }
}
