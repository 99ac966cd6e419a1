using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// The CPU engine: plain C# with Vector256 and every core (Parallel.For). It is the reference the GPU
/// engine is checked against and the fast path on machines without a GPU. Nothing of size n x n is
/// allocated except the rbf weight cache, which is sized from the memory budget.
/// </summary>
public sealed partial class CpuEngine : IDiffusionEngine
{
    /// <summary>Default query rows per parallel work item: each column tile is read from memory once per
    /// block, so larger blocks mean less memory traffic (100,000 x 64 floats do not fit in L3).</summary>
    public const int DefaultRowTile = 256;

    /// <summary>Default columns per tile: small enough that, in spatial order, most tiles hold one cluster
    /// and can be skipped whole for far rows (512-column tiles straddled clusters and skipped 20% of the
    /// work on the benchmark data, 64-column tiles skip 70% and more).</summary>
    public const int DefaultColumnTile = 64;

    /// <summary>Tiles per row at most: the bounds cost rows x tiles per pass, which must stay small next to the
    /// pairs themselves (a million rows in 64-column tiles would make 15,625 bounds a row).</summary>
    public const int MaxColumnTiles = 1024;

    /// <summary>The default column tile for <paramref name="rows"/> rows.</summary>
    public static int ColumnTileFor(int rows) => Math.Max(DefaultColumnTile, (rows + MaxColumnTiles - 1) / MaxColumnTiles);

    public EngineDescription Description { get; } = new("cpu", DescribeProcessor());

    public IAffinityGraph BuildGraph(FeatureMatrix features, DiffusionOptions options,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(features.Rows);
        return options.Precision == Precision.Float32
            ? CpuGraph<float>.Build(features, options, progress, cancellation)
            : CpuGraph<double>.Build(features, options, progress, cancellation);
    }

    public DiffusionResult Diffuse(IAffinityGraph graph, ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        DiffusionArguments.Check(graph, classIndex, classes, options);
        return graph switch
        {
            CpuGraph<float> single => single.Diffuse(classIndex, classes, options, progress, cancellation),
            CpuGraph<double> @double => @double.Diffuse(classIndex, classes, options, progress, cancellation),
            ICpuOperatorGraph other => other.Diffuse(classIndex, classes, options, progress, cancellation),
            _ => throw new ArgumentException($"the graph was built by another engine ({graph.GetType().Name}), not by the CPU engine", nameof(graph)),
        };
    }

    public bool SupportsWarmStart => true;

    public DiffusionResult DiffuseFrom(IAffinityGraph graph, ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options,
        ReadOnlySpan<double> start, IProgress<StageProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        DiffusionArguments.Check(graph, classIndex, classes, options);
        if (start.Length != (long)graph.Rows * classes)
            throw new ArgumentException($"the warm start must hold {graph.Rows} x {classes} values, got {start.Length}", nameof(start));
        foreach (double value in start)
            if (!(value >= 0 && double.IsFinite(value))) throw new ArgumentException($"warm-start values must be finite and non-negative, got {value}", nameof(start));
        return graph switch
        {
            CpuGraph<float> single => single.Diffuse(classIndex, classes, options, progress, cancellation, start),
            CpuGraph<double> @double => @double.Diffuse(classIndex, classes, options, progress, cancellation, start),
            ICpuOperatorGraph other => other.Diffuse(classIndex, classes, options, progress, cancellation, start),
            _ => throw new ArgumentException($"the graph was built by another engine ({graph.GetType().Name}), not by the CPU engine", nameof(graph)),
        };
    }

    public double[] PredictProba(IAffinityGraph graph, DiffusionResult fitted, FeatureMatrix newFeatures,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(fitted);
        ArgumentNullException.ThrowIfNull(newFeatures);
        return graph switch
        {
            CpuGraph<float> single => single.PredictProba(fitted, newFeatures, cancellation),
            CpuGraph<double> @double => @double.PredictProba(fitted, newFeatures, cancellation),
            ICpuOperatorGraph other => other.PredictProba(fitted, newFeatures, cancellation),
            _ => throw new ArgumentException($"the graph was built by another engine ({graph?.GetType().Name}), not by the CPU engine", nameof(graph)),
        };
    }

    public void Dispose() { }

    private static string DescribeProcessor()
    {
        string simd = Avx512F.IsSupported ? "AVX-512" : Avx2.IsSupported && Fma.IsSupported ? "AVX2+FMA" : Vector256.IsHardwareAccelerated ? "Vector256" : "scalar";
        string kernel = DistanceKernel.PreferredLanes<float>() == Vector512<float>.Count ? "Vector512 distance kernel" : "Vector256 kernels";
        return $"{Environment.ProcessorCount} cores, {simd} ({kernel})";
    }
}

/// <summary>
/// The CPU engine's affinity stage product, in precision T. The rbf operator works on the rows in
/// <see cref="SpatialOrder"/> (so that tiles are compact and far tiles can be skipped); labels go in and
/// distributions come out in the caller's order. The knn operator works on the original rows.
/// </summary>
internal sealed class CpuGraph<T> : IAffinityGraph where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _dims;
    private readonly double[]? _centre;
    private readonly int[]? _order;
    private readonly KnnLists<T>? _knn;
    private readonly RbfPass<T>? _pass;
    private readonly int _rowTile;

    private CpuGraph(DiffusionOptions options, int dims, double[]? centre, int[]? order, IDiffusionOperator op, RbfPass<T>? pass,
        KnnLists<T>? knn, int rowTile, WeightCache<T>? cache)
    {
        Options = options;
        _dims = dims;
        _centre = centre;
        _order = order;
        _knn = knn;
        Operator = op;
        _pass = pass;
        _rowTile = rowTile;
        _cache = cache;
    }

    public int Rows => Operator.Rows;
    public DiffusionOptions Options { get; }
    public IDiffusionOperator Operator { get; }
    public KnnSearchReport? KnnSearchReport => _knn?.Report;

    /// <summary>The original index of each operator row (null: the original order).</summary>
    internal int[]? Order => _order;

    private readonly WeightCache<T>? _cache;

    /// <summary>The fraction of tile work the last rbf pass skipped by its distance bounds.</summary>
    public double LastPassSkippedFraction => _pass?.LastPassSkippedFraction ?? 0;

    public static CpuGraph<T> Build(FeatureMatrix features, DiffusionOptions options,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        int rowTile = options.RowTile ?? CpuEngine.DefaultRowTile;
        if (options.Kernel == AffinityKernel.Knn)
        {
            int searched = GraphKnn.SearchCount(options);
            var lists = GraphKnn.Find<T>(features, options, searched, progress, cancellation);
            var knn = GraphKnn.CreateOperator(lists.Neighbours, searched, features, options);
            return new CpuGraph<T>(options, features.Cols, null, null, knn, null, lists, rowTile, null);
        }
        return BuildRbf(features, options, rowTile, progress, cancellation);
    }

    private static CpuGraph<T> BuildRbf(FeatureMatrix features, DiffusionOptions options, int rowTile,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        int columnTile = options.ColumnTile ?? CpuEngine.ColumnTileFor(features.Rows);
        var centre = PackedRows<T>.Centre(features);
        var order = SpatialOrder.Compute(features);
        var packed = new PackedRows<T>(features, centre, order);
        double cut = options.Float64UnderflowCut ? DiffusionOptions.Float64UnderflowExponent : double.PositiveInfinity;
        var pass = new RbfPass<T>(packed, options.Gamma, cut, rowTile, columnTile);
        var cache = pass.CreateCache(MemoryBudget.CacheBytes(options, features, packed.PaddedRows, System.Runtime.CompilerServices.Unsafe.SizeOf<T>()));
        progress?.Report(new StageProgress("degrees", 0, 1, double.NaN));
        try
        {
            var rbf = new RbfOperator<T>(pass, cache, options.Model, cancellation);
            progress?.Report(new StageProgress("degrees", 1, 1, double.NaN));
            return new CpuGraph<T>(options, features.Cols, centre, order, rbf, pass, null, rowTile, cache);
        }
        catch
        {
            cache?.Dispose();
            throw;
        }
    }

    public DiffusionResult Diffuse(ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options,
        IProgress<StageProgress>? progress, CancellationToken cancellation, ReadOnlySpan<double> start = default)
    {
        if (_order is null) return Solve(classIndex, classes, options, progress, cancellation, start);
        var ordered = new int[_order.Length];
        for (int p = 0; p < ordered.Length; p++) ordered[p] = classIndex[_order[p]];
        var orderedStart = new double[start.Length];
        for (int p = 0; p < ordered.Length && !start.IsEmpty; p++)
            start.Slice(_order[p] * classes, classes).CopyTo(orderedStart.AsSpan(p * classes, classes));
        var result = Solve(ordered, classes, options, progress, cancellation, orderedStart);
        var distributions = new double[result.Distributions.Length];
        for (int p = 0; p < _order.Length; p++)
            result.Distributions.AsSpan(p * classes, classes).CopyTo(distributions.AsSpan(_order[p] * classes, classes));
        return result with { Distributions = distributions };
    }

    /// <summary>The chosen solver on the operator's rows. CG starts from zero: a warm start cannot change its answer.</summary>
    private DiffusionResult Solve(ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options,
        IProgress<StageProgress>? progress, CancellationToken cancellation, ReadOnlySpan<double> start) => options.Solver switch
        {
            Solver.ConjugateGradient => ConjugateGradient.Run(Operator, classIndex, classes, options, progress, cancellation),
            _ => FixedPointLoop.Run(Operator, classIndex, classes, options, progress, cancellation, start),
        };

    public double[] PredictProba(DiffusionResult fitted, FeatureMatrix newFeatures, CancellationToken cancellation)
    {
        if (fitted.Rows != Rows) throw new ArgumentException($"the fitted result has {fitted.Rows} rows but the graph {Rows}", nameof(fitted));
        if (newFeatures.Cols != _dims)
            throw new ArgumentException($"X has {newFeatures.Cols} features, but the graph was built with {_dims} features.", nameof(newFeatures));
        int classes = fitted.Classes;
        int m = newFeatures.Rows;
        var result = new double[(long)m * classes];
        if (m == 0) return result;
        var distributions = fitted.Distributions;
        if (_knn is not null)
        {
            int k = Options.NNeighbors;
            var columns = _knn.Columns.Value;
            var knnQueries = new PackedRows<T>(newFeatures, columns.Centre);
            var neighbours = KnnSearch.Search(columns, knnQueries, null, newFeatures, k, _rowTile, null, cancellation);
            Parallel.For(0, m, q =>
            {
                var row = result.AsSpan(q * classes, classes);
                GraphKnn.PredictRow(Options, columns.Features, newFeatures, q, neighbours.AsSpan(q * k, k), distributions, classes, row);
            });
            return result;
        }

        var queries = new PackedRows<T>(newFeatures, _centre!);
        int width = FixedPointLoop.Width(classes);
        int padded = _pass!.Columns.PaddedRows;
        var g = new double[(long)padded * width];
        var offsets = new T[padded];
        Array.Fill(offsets, T.NegativeInfinity);
        for (int j = 0; j < Rows; j++)
        {
            var row = distributions.AsSpan(_order![j] * classes, classes);
            row.CopyTo(g.AsSpan(j * width, classes));
            if (row.IndexOfAnyExcept(0.0) >= 0) offsets[j] = T.Zero;
        }
        var maxima = new T[m];
        var sums = new double[(long)m * width];
        _pass!.Run(new RbfPass<T>.Inputs(queries.RowMajor, queries.Norms, m, DiagonalRule.None, null, offsets, g, width), maxima, sums, null, cancellation);
        for (int q = 0; q < m; q++)
            FixedPointLoop.NormaliseRow(sums.AsSpan(q * width, classes), result.AsSpan(q * classes, classes));
        return result;
    }

    public void Dispose() => _cache?.Dispose();
}
