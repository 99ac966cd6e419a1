using System.Numerics;
using GpuSpread.Graphs;

namespace GpuSpread.Engine.Cpu;

/// <summary>How the CPU engine keeps the rbf weights of the training rows between passes.</summary>
internal enum RbfWeightLayout
{
    /// <summary>By the cost model: symmetric where it fits in the memory budget and few tiles can be skipped.</summary>
    Auto,

    /// <summary>Per row (<see cref="WeightCache{T}"/>): tile maxima and the blocks computed twice, as room allows.</summary>
    PerRow,

    /// <summary>Each pair once (<see cref="SymmetricWeights{T}"/>) wherever it fits in the memory budget.</summary>
    Symmetric,
}

/// <summary>The CPU engine's graphs of features in precision T: the rbf operator, or the knn kernel's sparse one.</summary>
internal static class FeatureGraphs<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// The symmetric store is chosen where the per-row passes could skip at most this fraction of the tiles: it does
    /// half the distance work of one per-row pass once, and the per-row passes compute every tile they do not skip
    /// twice before they cache it, then read it from one side only.
    /// </summary>
    public const double SymmetricBelowPrunability = 0.5;

    /// <summary>Rows sampled to measure the prunability (exactly, against every row).</summary>
    private const int PrunabilitySample = 128;

    public static CpuGraph Build(FeatureMatrix features, DiffusionOptions options, EngineCapabilities capabilities,
        RbfWeightLayout layout, IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        int rowTile = options.RowTile ?? CpuEngine.DefaultRowTile;
        if (options.Kernel == AffinityKernel.Knn)
        {
            int searched = KnnGraph.SearchCount(options);
            var lists = GraphKnn.Find<T>(features, options, capabilities.KnnSearchFor(options), searched, progress, cancellation);
            var op = new CsrOperator(KnnGraph.Matrix(lists.Neighbours, searched, features, options), options.Model);
            var predictor = new KnnPredictor<T>(options, features.Cols, lists.Columns, rowTile);
            return new CpuGraph(options, GraphInputKind.Features, op, null, predictor, lists.Report, null);
        }
        return BuildRbf(features, options, rowTile, layout, progress, cancellation);
    }

    private static CpuGraph BuildRbf(FeatureMatrix features, DiffusionOptions options, int rowTile, RbfWeightLayout layout,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        int columnTile = options.ColumnTile ?? CpuEngine.ColumnTileFor(features.Rows);
        var centre = features.Scales.Centre;
        double cut = options.Float64UnderflowCut ? DiffusionOptions.Float64UnderflowExponent : double.PositiveInfinity;
        var model = PoissonLearning.OperatorModel(options.Model);
        int valueBytes = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        var (packed, order, symmetric) = Pack(features, options, layout, columnTile, cut, cancellation);
        long budget = MemoryBudget.CacheBytes(options, features, packed.PaddedRows, valueBytes);
        var pass = new RbfPass<T>(packed, options.Gamma, cut, rowTile, columnTile);
        IDisposable? owned = null;
        progress?.Report(new StageProgress("degrees", 0, 1, double.NaN));
        try
        {
            IRbfTrainingPass<T> training;
            if (symmetric)
            {
                var store = new SymmetricWeights<T>(packed, options.Gamma, cut, model == DiffusionModel.Spreading ? DiagonalRule.Exclude : DiagonalRule.Zero);
                owned = store;
                training = store;
            }
            else
            {
                var cache = pass.CreateCache(budget);
                owned = cache;
                training = new PerRowTrainingPass<T>(pass, cache);
            }
            var rbf = new RbfOperator<T>(training, model, cancellation);
            progress?.Report(new StageProgress("degrees", 1, 1, double.NaN));
            return new CpuGraph(options, GraphInputKind.Features, rbf, order, new RbfPredictor<T>(pass, centre, order, features.Cols), null, owned);
        }
        catch
        {
            owned?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The training rows packed, and whether the symmetric store takes them. The store needs no spatial order, and the
    /// share of pairs that could be skipped bounds the share of tiles in any order: only where that is high are the rows
    /// ordered and their tiles measured.
    /// </summary>
    private static (PackedRows<T> Packed, int[]? Order, bool Symmetric) Pack(FeatureMatrix features, DiffusionOptions options,
        RbfWeightLayout layout, int columnTile, double cut, CancellationToken cancellation)
    {
        var centre = features.Scales.Centre;
        int valueBytes = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        bool fits = layout != RbfWeightLayout.PerRow
            && SymmetricWeights<T>.Bytes(features.Rows, valueBytes) <= MemoryBudget.CacheBytes(options, features, features.Rows, valueBytes);
        if (fits)
        {
            var plain = new PackedRows<T>(features, centre, integerKernel: true);
            if (layout == RbfWeightLayout.Symmetric
                || SymmetricWeights<T>.Prunability(plain, options.Gamma, cut, plain.RoundTile(columnTile), PrunabilitySample, cancellation).Pairs
                < SymmetricBelowPrunability)
                return (plain, null, true);
        }
        var order = SpatialOrder.Compute(features);
        var ordered = new PackedRows<T>(features, centre, order, integerKernel: true);
        return (ordered, order, fits
            && SymmetricWeights<T>.Prunability(ordered, options.Gamma, cut, ordered.RoundTile(columnTile), PrunabilitySample, cancellation).Tiles
            < SymmetricBelowPrunability);
    }
}

/// <summary>The rbf kernel's inductive rule: row-normalised K(X_new, X_train) F, by the training graph's own pass.</summary>
/// <param name="order">Packed row p is training row order[p] (null: the same row).</param>
internal sealed class RbfPredictor<T>(RbfPass<T> pass, double[] centre, int[]? order, int dims) : IInductivePredictor
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public double[] PredictProba(DiffusionResult fitted, FeatureMatrix newFeatures, CancellationToken cancellation)
    {
        DiffusionArguments.CheckColumns(newFeatures, dims);
        int classes = fitted.Classes;
        int m = newFeatures.Rows;
        var result = new double[(long)m * classes];
        if (m == 0) return result;
        var queries = new PackedRows<T>(newFeatures, centre);
        int width = FixedPointLoop.Width(classes);
        int padded = pass.Columns.PaddedRows;
        var g = new double[(long)padded * width];
        var offsets = new T[padded];
        Array.Fill(offsets, T.NegativeInfinity);
        for (int j = 0; j < pass.Columns.Rows; j++)
        {
            var row = fitted.Distributions.AsSpan((order?[j] ?? j) * classes, classes);
            row.CopyTo(g.AsSpan(j * width, classes));
            if (row.IndexOfAnyExcept(0.0) >= 0) offsets[j] = T.Zero;
        }
        var maxima = new T[m];
        var sums = new double[(long)m * width];
        pass.Run(new RbfPass<T>.Inputs(queries.RowMajor, queries.Norms, m, DiagonalRule.None, null, offsets, g, width), maxima, sums, null, cancellation);
        for (int q = 0; q < m; q++)
            DistributionRows.Normalise(sums.AsSpan(q * width, classes), result.AsSpan(q * classes, classes));
        return result;
    }
}

/// <summary>The knn kernel's inductive rule: the new row's k nearest training rows by the exact search (<see cref="KnnGraph.Predict"/>).</summary>
internal sealed class KnnPredictor<T>(DiffusionOptions options, int dims, Lazy<KnnSearch.Columns<T>> training, int rowTile) : IInductivePredictor
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public double[] PredictProba(DiffusionResult fitted, FeatureMatrix newFeatures, CancellationToken cancellation)
    {
        DiffusionArguments.CheckColumns(newFeatures, dims);
        if (newFeatures.Rows == 0) return [];
        var columns = training.Value;
        var queries = new PackedRows<T>(newFeatures, columns.Centre);
        var neighbours = KnnSearch.Search(columns, queries, null, newFeatures, options.NNeighbors, rowTile, null, cancellation);
        return KnnGraph.Predict(options, columns.Features, newFeatures, neighbours, fitted.Distributions, fitted.Classes);
    }
}
