using System.Numerics;
using GpuSpread.Graphs;

namespace GpuSpread.Engine.Cpu;

/// <summary>The CPU engine's graph input (<see cref="IGraphDiffusionEngine"/>): CSR operators over an edge list, alone or combined with the features' graph.</summary>
public sealed partial class CpuEngine : IGraphDiffusionEngine
{
    public IAffinityGraph BuildGraph(SparseGraph graph, DiffusionOptions options,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(options);
        CheckGraphOptions(options, graph.Nodes);
        progress?.Report(new StageProgress("graph", 0, 1, double.NaN));
        var op = new CsrOperator(LogCsr.FromGraph(graph), options.Model);
        progress?.Report(new StageProgress("graph", 1, 1, double.NaN));
        return new OperatorGraph(options, op, null, null, "graph", null);
    }

    public IAffinityGraph BuildGraph(FeatureMatrix features, SparseGraph graph, GraphCombination combination, DiffusionOptions options,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(combination);
        ArgumentNullException.ThrowIfNull(options);
        if (features.Rows != graph.Nodes)
            throw new ArgumentException($"the graph has {graph.Nodes} nodes but the features have {features.Rows} rows", nameof(graph));
        CheckGraphOptions(options, features.Rows);
        combination.Validate(options.Kernel);
        double mu = combination.GraphWeight;
        if (combination.Mode == CombinationMode.Weights)
        {
            int searched = GraphKnn.SearchCount(options);
            var (neighbours, report) = options.Precision == Precision.Float32 ? Find<float>() : Find<double>();
            var knn = GraphKnn.Matrix(neighbours, searched, features, options);
            var input = LogCsr.FromGraph(graph);
            var triples = new List<(int, int, double)>(knn.Entries + input.Entries);
            foreach (var (matrix, share) in new[] { (knn, 1 - mu), (input, mu) })
            {
                if (share == 0) continue;
                for (int i = 0; i < matrix.Rows; i++)
                    for (int e = matrix.RowStart[i]; e < matrix.RowStart[i + 1]; e++)
                        triples.Add((i, matrix.Columns[e], matrix.LogWeights[e] + Math.Log(share)));
            }
            var op = new CsrOperator(LogCsr.FromTriples(features.Rows, triples, LogCsr.LogAdd), options.Model);
            return new OperatorGraph(options, op, null, null, "weights", report);

            (int[] Neighbours, KnnSearchReport Report) Find<T>() where T : unmanaged, IFloatingPointIeee754<T>
            {
                var lists = GraphKnn.Find<T>(features, options, searched, progress, cancellation);
                return (lists.Neighbours, lists.Report);
            }
        }

        IAffinityGraph featureGraph = BuildGraph(features, options, progress, cancellation);
        try
        {
            var (featureOperator, order) = featureGraph switch
            {
                CpuGraph<float> single => (single.Operator, single.Order),
                CpuGraph<double> @double => (@double.Operator, @double.Order),
                _ => throw new InvalidOperationException("the CPU engine built a graph of another kind"),
            };
            var logCsr = LogCsr.FromGraph(graph);
            var graphOperator = new CsrOperator(order is null ? logCsr : logCsr.Permuted(order), options.Model);
            var combined = new CombinedOperator(featureOperator, graphOperator, mu, options.Model, cancellation);
            return new OperatorGraph(options, combined, order, featureGraph, "operators", featureGraph.KnnSearchReport);
        }
        catch
        {
            featureGraph.Dispose();
            throw;
        }
    }

    /// <summary>The options a graph input allows: the fixed-point loop only.</summary>
    private static void CheckGraphOptions(DiffusionOptions options, int rows)
    {
        if (options.Solver != Solver.FixedPoint)
            throw new InvalidParameterException("solver", "cg", "'fixed-point' with a graph given as input");
        options.Validate(rows);
    }
}

/// <summary>The CPU engine's graphs that are diffused by their own operator (graph input), in the caller's row order.</summary>
internal interface ICpuOperatorGraph : IAffinityGraph
{
    DiffusionResult Diffuse(ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options,
        IProgress<StageProgress>? progress, CancellationToken cancellation, ReadOnlySpan<double> start = default);

    double[] PredictProba(DiffusionResult fitted, FeatureMatrix newFeatures, CancellationToken cancellation);
}

/// <summary>
/// An operator built from an input graph (alone, or combined with the feature graph, whose rows may be in the rbf
/// pass's spatial order): labels go in and distributions come out in the caller's order.
/// </summary>
internal sealed class OperatorGraph(DiffusionOptions options, IDiffusionOperator op, int[]? order, IDisposable? owned, string form,
    KnnSearchReport? knnSearchReport) : ICpuOperatorGraph
{
    public int Rows => op.Rows;
    public DiffusionOptions Options { get; } = options;
    public IDiffusionOperator Operator => op;
    public KnnSearchReport? KnnSearchReport => knnSearchReport;

    /// <summary>graph (the input graph alone), operators or weights (combined with the features).</summary>
    public string Form => form;

    public DiffusionResult Diffuse(ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options,
        IProgress<StageProgress>? progress, CancellationToken cancellation, ReadOnlySpan<double> start = default)
    {
        if (options.Solver != Solver.FixedPoint)
            throw new InvalidParameterException("solver", "cg", "'fixed-point' with a graph given as input");
        if (order is null) return FixedPointLoop.Run(op, classIndex, classes, options, progress, cancellation, start);
        var ordered = new int[order.Length];
        for (int p = 0; p < ordered.Length; p++) ordered[p] = classIndex[order[p]];
        var orderedStart = new double[start.Length];
        for (int p = 0; p < ordered.Length && !start.IsEmpty; p++)
            start.Slice(order[p] * classes, classes).CopyTo(orderedStart.AsSpan(p * classes, classes));
        var result = FixedPointLoop.Run(op, ordered, classes, options, progress, cancellation, orderedStart);
        var distributions = new double[result.Distributions.Length];
        for (int p = 0; p < order.Length; p++)
            result.Distributions.AsSpan(p * classes, classes).CopyTo(distributions.AsSpan(order[p] * classes, classes));
        return result with { Distributions = distributions };
    }

    public double[] PredictProba(DiffusionResult fitted, FeatureMatrix newFeatures, CancellationToken cancellation) =>
        throw new NotSupportedException("a graph given as input has no inductive prediction: new rows have no edges to the training rows; refit with them in the graph");

    public void Dispose() => owned?.Dispose();
}
