using System.Numerics;
using GpuSpread.Graphs;

namespace GpuSpread.Engine.Cpu;

/// <summary>The CPU engine's graphs of features in precision T: the rbf operator, or the knn kernel's sparse one.</summary>
internal static class FeatureGraphs<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static CpuGraph Build(FeatureMatrix features, DiffusionOptions options, EngineCapabilities capabilities,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        int rowTile = options.RowTile ?? CpuEngine.DefaultRowTile;
        if (options.Kernel == AffinityKernel.Knn)
        {
            int searched = KnnGraph.SearchCount(options);
            var lists = GraphKnn.Find<T>(features, options, capabilities.KnnSearchFor(options, features.Rows), searched, progress, cancellation);
            var op = new CsrOperator(KnnGraph.Matrix(lists.Neighbours, searched, features, options), options.Model);
            var predictor = new KnnPredictor<T>(options, features.Cols, lists.Columns, rowTile);
            return new CpuGraph(options, GraphInputKind.Features, op, null, predictor, lists.Report, null);
        }
        return BuildRbf(features, options, rowTile, progress, cancellation);
    }

    private static CpuGraph BuildRbf(FeatureMatrix features, DiffusionOptions options, int rowTile,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        int columnTile = options.ColumnTile ?? CpuEngine.ColumnTileFor(features.Rows);
        var centre = features.Scales.Centre;
        var order = SpatialOrder.Compute(features);
        var packed = new PackedRows<T>(features, centre, order);
        double cut = options.Float64UnderflowCut ? DiffusionOptions.Float64UnderflowExponent : double.PositiveInfinity;
        var pass = new RbfPass<T>(packed, options.Gamma, cut, rowTile, columnTile);
        var cache = pass.CreateCache(MemoryBudget.CacheBytes(options, features, packed.PaddedRows, System.Runtime.CompilerServices.Unsafe.SizeOf<T>()));
        progress?.Report(new StageProgress("degrees", 0, 1, double.NaN));
        try
        {
            var rbf = new RbfOperator<T>(pass, cache, PoissonLearning.OperatorModel(options.Model), cancellation);
            progress?.Report(new StageProgress("degrees", 1, 1, double.NaN));
            return new CpuGraph(options, GraphInputKind.Features, rbf, order, new RbfPredictor<T>(pass, centre, order, features.Cols), null, cache);
        }
        catch
        {
            cache?.Dispose();
            throw;
        }
    }
}

/// <summary>The rbf kernel's inductive rule: row-normalised K(X_new, X_train) F, by the training graph's own pass.</summary>
internal sealed class RbfPredictor<T>(RbfPass<T> pass, double[] centre, int[] order, int dims) : IInductivePredictor
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
        for (int j = 0; j < order.Length; j++)
        {
            var row = fitted.Distributions.AsSpan(order[j] * classes, classes);
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
