namespace GpuSpread.Graphs;

/// <summary>A fit's outcome in the caller's row order, with scikit-learn's names.</summary>
/// <param name="Classes">Sorted distinct labels, -1 excluded.</param>
/// <param name="ClassIndex">Per row, the index of its label in <paramref name="Classes"/>, or -1.</param>
/// <param name="Result">The diffusion stage's result (distributions n x c, n_iter, converged).</param>
/// <param name="Transduction">Per row, the predicted label (the first class on ties; classes[0] for an all-zero row).</param>
/// <param name="KnnSearchReport">How the knn kernel's neighbours were found (null: no knn graph from features).</param>
public sealed record GraphFit(long[] Classes, int[] ClassIndex, DiffusionResult Result, long[] Transduction, KnnSearchReport? KnnSearchReport);

/// <summary>
/// LabelSpreading / LabelPropagation over features, a graph given as input, or both, through any engine: the
/// estimator classes carry scikit-learn's parameters only, this carries a whole <see cref="DiffusionOptions"/>
/// (the kNN graph options included) and a <see cref="GraphCombination"/>.
/// </summary>
public static class GraphDiffusion
{
    /// <summary>
    /// The affinity operator: features alone (the engine's own <see cref="IDiffusionEngine.BuildGraph"/>), the input
    /// graph alone, or both combined. A graph needs an <see cref="IGraphDiffusionEngine"/>.
    /// </summary>
    /// <exception cref="GraphInputNotSupportedException">a graph given to an engine that cannot take one.</exception>
    public static IAffinityGraph Build(IDiffusionEngine engine, FeatureMatrix? features, SparseGraph? graph, GraphCombination? combination,
        DiffusionOptions options, IProgress<StageProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        if (features is null && graph is null) throw new ArgumentException("features, a graph or both are needed");
        if (graph is null) return engine.BuildGraph(features!, options, progress, cancellation);
        if (engine is not IGraphDiffusionEngine graphEngine)
            throw new GraphInputNotSupportedException(
                $"the {engine.Description.Name} engine does not take a graph as input yet; use the CPU engine (--engine cpu)");
        if (features is null) return graphEngine.BuildGraph(graph, options, progress, cancellation);
        if (features.Rows != graph.Nodes)
            throw new InputDataException($"the graph has {graph.Nodes} nodes but the features have {features.Rows} rows; they must describe the same nodes");
        return graphEngine.BuildGraph(features, graph, combination ?? new GraphCombination(), options, progress, cancellation);
    }

    /// <summary>Encodes <paramref name="labels"/>, builds the operator and runs the loop once.</summary>
    public static GraphFit Fit(IDiffusionEngine engine, FeatureMatrix? features, SparseGraph? graph, GraphCombination? combination,
        IReadOnlyList<long> labels, DiffusionOptions options, IProgress<StageProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(labels);
        int rows = features?.Rows ?? graph?.Nodes ?? throw new ArgumentException("features, a graph or both are needed");
        var (classes, classIndex) = LabelEncoding.Encode(labels, rows);
        options.Validate(rows);
        using var affinity = Build(engine, features, graph, combination, options, progress, cancellation);
        var result = engine.Diffuse(affinity, classIndex, classes.Length, options, progress, cancellation);
        return new GraphFit(classes, classIndex, result, LabelEncoding.Decode(classes, result.Distributions, result.Rows), affinity.KnnSearchReport);
    }
}
