using GpuSpread.Graphs;

namespace GpuSpread.Engine.Cpu;

/// <summary>The CPU engine's graphs of a graph given as input: its CSR operator alone, or combined with the features' graph.</summary>
internal static class InputGraphs
{
    public static CpuGraph Alone(SparseGraph graph, DiffusionOptions options, IProgress<StageProgress>? progress)
    {
        progress?.Report(new StageProgress("graph", 0, 1, double.NaN));
        var op = new CsrOperator(LogCsr.FromGraph(graph), options.Model);
        progress?.Report(new StageProgress("graph", 1, 1, double.NaN));
        return new CpuGraph(options, GraphInputKind.Graph, op, null, null, null, null);
    }

    /// <summary>
    /// Both graphs: one CSR operator of the mixed weights (<see cref="CombinationMode.Weights"/>, knn only), or the mix of
    /// the two operators, the input graph relabelled into the feature graph's row order.
    /// </summary>
    public static CpuGraph Combined(CpuEngine engine, GraphInput input, DiffusionOptions options,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        var features = input.Features!;
        double mu = input.Combination.GraphWeight;
        if (input.Combination.Mode == CombinationMode.Weights)
        {
            int searched = KnnGraph.SearchCount(options);
            var search = engine.Capabilities.KnnSearchFor(options);
            var (neighbours, report) = options.Precision == Precision.Float32
                ? Lists(GraphKnn.Find<float>(features, options, search, searched, progress, cancellation))
                : Lists(GraphKnn.Find<double>(features, options, search, searched, progress, cancellation));
            var mixed = LogCsr.Mix(KnnGraph.Matrix(neighbours, searched, features, options), LogCsr.FromGraph(input.Graph!), mu);
            return new CpuGraph(options, GraphInputKind.FeaturesAndGraph, new CsrOperator(mixed, options.Model), null, null, report, null);
        }

        var featureGraph = engine.FeatureGraph(features, options, progress, cancellation);
        try
        {
            var logCsr = LogCsr.FromGraph(input.Graph!);
            var order = featureGraph.Order;
            var graphOperator = new CsrOperator(order is null ? logCsr : logCsr.Permuted(order), options.Model);
            var combined = new CombinedOperator(featureGraph.Operator, graphOperator, mu, options.Model, cancellation);
            return new CpuGraph(options, GraphInputKind.FeaturesAndGraph, combined, order, null, featureGraph.KnnSearchReport, featureGraph);
        }
        catch
        {
            featureGraph.Dispose();
            throw;
        }
    }

    private static (int[] Neighbours, KnnSearchReport Report) Lists<T>(KnnLists<T> lists) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        (lists.Neighbours, lists.Report);
}
