using GpuSpread.Engine.Gpu.Kernels;
using GpuSpread.Graphs;

namespace GpuSpread.Engine.Gpu;

/// <summary>
/// The GPU engine's graph stage: the features' graph (the rbf operator, or the knn kernel's sparse one from the exact
/// search on the device), a graph given as input (its sparse operator), or both combined. The host side of the sparse
/// graphs (the kNN options, the mix of weights, the degrees) is the core's, shared with the CPU engine.
/// </summary>
internal static class GpuGraphs
{
    public static GpuGraph Build(GpuEngine engine, GraphInput input, DiffusionOptions options, IProgress<StageProgress>? progress,
        CancellationToken cancellation)
    {
        try
        {
            return input.Kind switch
            {
                GraphInputKind.Features => Features(engine, input.Features!, options, progress, cancellation),
                GraphInputKind.Graph => new GpuGraph(engine, options, GraphInputKind.Graph, Sparse(engine, LogCsr.FromGraph(input.Graph!), options), null, null),
                _ => Combined(engine, input, options, progress, cancellation),
            };
        }
        catch (DeviceOutOfMemoryException error)
        {
            throw new GpuOutOfMemoryException($"the GPU has no room for the graph of {input.Rows} rows ({error.Message}); use --engine cpu", error);
        }
    }

    private static GpuGraph Features(GpuEngine engine, FeatureMatrix features, DiffusionOptions options, IProgress<StageProgress>? progress,
        CancellationToken cancellation) => options.Precision == Precision.Float32
        ? Of<float, SingleReal>.Features(engine, features, options, progress, cancellation)
        : Of<double, DoubleReal>.Features(engine, features, options, progress, cancellation);

    private static SparseDeviceOperator Sparse(GpuEngine engine, LogCsr matrix, DiffusionOptions options) => new(engine, matrix, options.Model);

    private static GpuGraph Combined(GpuEngine engine, GraphInput input, DiffusionOptions options, IProgress<StageProgress>? progress,
        CancellationToken cancellation)
    {
        double mu = input.Combination.GraphWeight;
        var graphMatrix = LogCsr.FromGraph(input.Graph!);
        if (input.Combination.Mode == CombinationMode.Weights)
        {
            var knn = options.Precision == Precision.Float32
                ? Of<float, SingleReal>.KnnMatrix(engine, input.Features!, options, progress, cancellation)
                : Of<double, DoubleReal>.KnnMatrix(engine, input.Features!, options, progress, cancellation);
            var mixed = Sparse(engine, LogCsr.Mix(knn, graphMatrix, mu), options);
            return new GpuGraph(engine, options, GraphInputKind.FeaturesAndGraph, mixed, null, KnnSearchReport.Exact);
        }
        var features = options.Precision == Precision.Float32
            ? Of<float, SingleReal>.Operator(engine, input.Features!, options, progress, cancellation)
            : Of<double, DoubleReal>.Operator(engine, input.Features!, options, progress, cancellation);
        IDeviceOperator? graph = null;
        try
        {
            graph = Sparse(engine, graphMatrix, options);
            var combined = new CombinedDeviceOperator(engine, features, graph, mu, options.Model, cancellation);
            return new GpuGraph(engine, options, GraphInputKind.FeaturesAndGraph, combined, null,
                options.Kernel == AffinityKernel.Knn ? KnnSearchReport.Exact : null);
        }
        catch
        {
            graph?.Dispose();
            features.Dispose();
            throw;
        }
    }

    /// <summary>The graphs of features in precision T.</summary>
    private static class Of<T, TReal> where T : unmanaged where TReal : struct, IReal<T>
    {
        public static GpuGraph Features(GpuEngine engine, FeatureMatrix features, DiffusionOptions options, IProgress<StageProgress>? progress,
            CancellationToken cancellation)
        {
            if (options.Kernel == AffinityKernel.Rbf)
            {
                var rbf = RbfDeviceOperator<T, TReal>.Build(engine, features, options, progress, cancellation);
                return new GpuGraph(engine, options, GraphInputKind.Features, rbf, new RbfDevicePredictor<T, TReal>(rbf), null);
            }
            var rows = DeviceRows<T, TReal>.Create(engine, features, keepFeatures: true);
            try
            {
                var matrix = KnnMatrix(rows, options, progress, cancellation);
                var op = Sparse(engine, matrix, options);
                return new GpuGraph(engine, options, GraphInputKind.Features, op, new KnnDevicePredictor<T, TReal>(rows, options), KnnSearchReport.Exact);
            }
            catch
            {
                rows.Dispose();
                throw;
            }
        }

        /// <summary>The features' operator alone, without what inductive prediction would keep.</summary>
        public static IDeviceOperator Operator(GpuEngine engine, FeatureMatrix features, DiffusionOptions options, IProgress<StageProgress>? progress,
            CancellationToken cancellation) => options.Kernel == AffinityKernel.Rbf
            ? RbfDeviceOperator<T, TReal>.Build(engine, features, options, progress, cancellation)
            : Sparse(engine, KnnMatrix(engine, features, options, progress, cancellation), options);

        /// <summary>The knn kernel's W for the options, from the exact search (k, or k + 1 to drop the point itself).</summary>
        public static LogCsr KnnMatrix(GpuEngine engine, FeatureMatrix features, DiffusionOptions options, IProgress<StageProgress>? progress,
            CancellationToken cancellation)
        {
            using var rows = DeviceRows<T, TReal>.Create(engine, features, keepFeatures: true);
            return KnnMatrix(rows, options, progress, cancellation);
        }

        private static LogCsr KnnMatrix(DeviceRows<T, TReal> rows, DiffusionOptions options, IProgress<StageProgress>? progress,
            CancellationToken cancellation)
        {
            int n = rows.Rows, searched = KnnGraph.SearchCount(options);
            progress?.Report(new StageProgress("graph", 0, n, double.NaN));
            int[] neighbours;
            using (var found = rows.Search(rows.Packed.View, rows.Norms.View, rows.Features!.View, n, searched, options, progress, cancellation))
                neighbours = found.Download((long)n * searched);
            return KnnGraph.Matrix(neighbours, searched, rows.Training, options);
        }
    }
}
