using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// The CPU engine: plain C# with Vector256/Vector512 and every core (Parallel.For). It is the reference the GPU
/// engine is checked against and the fast path on machines without a GPU. Nothing of size n x n is
/// allocated except the rbf weight cache, which is sized from the memory budget.
/// </summary>
public sealed class CpuEngine : IDiffusionEngine
{
    /// <summary>Default query rows per parallel work item: each column tile is read from memory once per
    /// block, so larger blocks mean less memory traffic (100,000 x 64 floats do not fit in L3).</summary>
    public const int DefaultRowTile = 256;

    /// <summary>Default columns per tile: small enough that, in spatial order, most tiles hold one cluster and can be
    /// skipped whole for far rows (larger tiles straddle clusters and skip far less of the work).</summary>
    public const int DefaultColumnTile = 64;

    /// <summary>Tiles per row at most: the bounds cost rows x tiles per pass, which must stay small next to the
    /// pairs themselves (a million rows in 64-column tiles would make 15,625 bounds a row).</summary>
    public const int MaxColumnTiles = 1024;

    /// <summary>The default column tile for <paramref name="rows"/> rows.</summary>
    public static int ColumnTileFor(int rows) => Math.Max(DefaultColumnTile, (rows + MaxColumnTiles - 1) / MaxColumnTiles);

    private readonly RbfWeightLayout _rbfLayout;

    /// <summary>The CPU engine, choosing how it keeps rbf weights by its cost model.</summary>
    public CpuEngine() : this(RbfWeightLayout.Auto) { }

    /// <summary>An engine with the rbf weight layout forced (tests run every layout through the parity suites).</summary>
    internal CpuEngine(RbfWeightLayout rbfLayout) => _rbfLayout = rbfLayout;

    /// <summary>cpu, and the processor in words: cores and the vector instructions the distance kernel uses.</summary>
    public EngineDescription Description { get; } = new("cpu", DescribeProcessor());

    /// <summary>Everything the contract offers.</summary>
    public EngineCapabilities Capabilities { get; } = new(ApproximateKnnSearch: true);

    /// <inheritdoc/>
    public IAffinityGraph BuildGraph(GraphInput input, DiffusionOptions options,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default)
    {
        DiffusionArguments.CheckBuild(this, input, options);
        return input.Kind switch
        {
            GraphInputKind.Features => FeatureGraph(input.Features!, options, progress, cancellation),
            GraphInputKind.Graph => InputGraphs.Alone(input.Graph!, options, progress),
            _ => InputGraphs.Combined(this, input, options, progress, cancellation),
        };
    }

    internal CpuGraph FeatureGraph(FeatureMatrix features, DiffusionOptions options, IProgress<StageProgress>? progress, CancellationToken cancellation) =>
        options.Precision == Precision.Float32
            ? FeatureGraphs<float>.Build(features, options, Capabilities, _rbfLayout, progress, cancellation)
            : FeatureGraphs<double>.Build(features, options, Capabilities, _rbfLayout, progress, cancellation);

    /// <inheritdoc/>
    public DiffusionResult Diffuse(IAffinityGraph graph, ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default, ReadOnlySpan<double> start = default)
    {
        DiffusionArguments.Check(graph, classIndex, classes, options, start);
        return Own(graph).Diffuse(classIndex, classes, options, progress, cancellation, start);
    }

    /// <inheritdoc/>
    public double[] PredictProba(IAffinityGraph graph, DiffusionResult fitted, FeatureMatrix newFeatures,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(fitted);
        ArgumentNullException.ThrowIfNull(newFeatures);
        return Own(graph).PredictProba(fitted, newFeatures, cancellation);
    }

    private static CpuGraph Own(IAffinityGraph graph) => graph as CpuGraph
        ?? throw new ArgumentException($"the graph was built by another engine ({graph?.GetType().Name}), not by the CPU engine", nameof(graph));

    /// <summary>Nothing to free: each graph owns its buffers and frees them when disposed.</summary>
    public void Dispose() { }

    private static string DescribeProcessor()
    {
        string simd = Avx512F.IsSupported ? "AVX-512" : Avx2.IsSupported && Fma.IsSupported ? "AVX2+FMA" : Vector256.IsHardwareAccelerated ? "Vector256" : "scalar";
        string kernel = DistanceKernel.PreferredLanes<float>() == Vector512<float>.Count ? "Vector512 distance kernel" : "Vector256 kernels";
        return $"{Environment.ProcessorCount} cores, {simd} ({kernel})";
    }
}

/// <summary>Inductive prediction for new rows from a fitted graph of features (rbf or knn).</summary>
internal interface IInductivePredictor
{
    double[] PredictProba(DiffusionResult fitted, FeatureMatrix newFeatures, CancellationToken cancellation);
}

/// <summary>
/// The CPU engine's graph: an operator over its rows, which may be in a permutation of the caller's (the rbf pass's
/// <see cref="SpatialOrder"/>, so that tiles are compact and far tiles can be skipped); labels go in and distributions
/// come out in the caller's order. Graphs of features alone also predict new rows.
/// </summary>
/// <param name="order">The caller's row of each operator row (null: the caller's order).</param>
/// <param name="predictor">Inductive prediction (null for a graph given as input, alone or combined).</param>
/// <param name="owned">Freed with the graph (a weight cache, or the feature graph a combination holds).</param>
internal sealed class CpuGraph(DiffusionOptions options, GraphInputKind input, IDiffusionOperator op, int[]? order,
    IInductivePredictor? predictor, KnnSearchReport? knnSearchReport, IDisposable? owned) : IAffinityGraph
{
    public int Rows => op.Rows;
    public DiffusionOptions Options { get; } = options;
    public GraphInputKind Input { get; } = input;
    public KnnSearchReport? KnnSearchReport { get; } = knnSearchReport;
    public IDiffusionOperator Operator => op;
    public GraphPattern? Pattern => order is null && op is CsrOperator csr ? csr.Matrix.Pattern : null;
    public int[]? Order => order;

    public DiffusionResult Diffuse(ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options,
        IProgress<StageProgress>? progress, CancellationToken cancellation, ReadOnlySpan<double> start)
    {
        if (order is null) return Solve(classIndex, classes, options, progress, cancellation, start);
        var ordered = new int[order.Length];
        for (int p = 0; p < ordered.Length; p++) ordered[p] = classIndex[order[p]];
        var orderedStart = new double[start.Length];
        for (int p = 0; p < ordered.Length && !start.IsEmpty; p++)
            start.Slice(order[p] * classes, classes).CopyTo(orderedStart.AsSpan(p * classes, classes));
        var result = Solve(ordered, classes, options, progress, cancellation, orderedStart);
        var distributions = new double[result.Distributions.Length];
        for (int p = 0; p < order.Length; p++)
            result.Distributions.AsSpan(p * classes, classes).CopyTo(distributions.AsSpan(order[p] * classes, classes));
        return result with { Distributions = distributions };
    }

    /// <summary>The chosen solver on the operator's rows. CG starts from zero: a warm start cannot change its answer.</summary>
    private DiffusionResult Solve(ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options,
        IProgress<StageProgress>? progress, CancellationToken cancellation, ReadOnlySpan<double> start) => options.Solver switch
        {
            _ when options.Model == DiffusionModel.Poisson => PoissonLoop.Run(op, classIndex, classes, options, progress, cancellation),
            Solver.ConjugateGradient => ConjugateGradient.Run(op, classIndex, classes, options, progress, cancellation),
            _ => FixedPointLoop.Run(op, classIndex, classes, options, progress, cancellation, start),
        };

    public double[] PredictProba(DiffusionResult fitted, FeatureMatrix newFeatures, CancellationToken cancellation)
    {
        if (fitted.Rows != Rows) throw new ArgumentException($"the fitted result has {fitted.Rows} rows but the graph {Rows}", nameof(fitted));
        return (predictor ?? throw DiffusionArguments.NoInductivePrediction()).PredictProba(fitted, newFeatures, cancellation);
    }

    public void Dispose() => owned?.Dispose();
}
