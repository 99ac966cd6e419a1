using GpuSpread.Graphs;

namespace GpuSpread;

/// <summary>What a graph is built from.</summary>
public enum GraphInputKind
{
    /// <summary>Features alone: the rbf or knn kernel's graph (scikit-learn's input).</summary>
    Features,

    /// <summary>A graph given as input (an edge list) alone.</summary>
    Graph,

    /// <summary>Both: the features' graph and the given one, combined by a <see cref="GraphCombination"/>.</summary>
    FeaturesAndGraph,
}

/// <summary>
/// The input of the graph stage (<see cref="IDiffusionEngine.BuildGraph"/>): features, a graph given as input, or both
/// with a <see cref="GraphCombination"/>. A feature matrix or a graph converts to it implicitly.
/// </summary>
public sealed class GraphInput
{
    private GraphInput(FeatureMatrix? features, SparseGraph? graph, GraphCombination combination)
    {
        Features = features;
        Graph = graph;
        Combination = combination;
    }

    /// <summary>The features, or null for a graph given as input alone.</summary>
    public FeatureMatrix? Features { get; }
    /// <summary>The graph given as input, or null for features alone.</summary>
    public SparseGraph? Graph { get; }

    /// <summary>How the two graphs are combined (used only when both are given).</summary>
    public GraphCombination Combination { get; }

    /// <summary>Features, a graph, or both.</summary>
    public GraphInputKind Kind => Graph is null ? GraphInputKind.Features : Features is null ? GraphInputKind.Graph : GraphInputKind.FeaturesAndGraph;

    /// <summary>Rows of the features, or nodes of the graph.</summary>
    public int Rows => Features?.Rows ?? Graph!.Nodes;

    /// <summary>Features alone: the graph is the options' kernel's (rbf or knn), scikit-learn's input.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is null.</exception>
    public static GraphInput FromFeatures(FeatureMatrix features)
    {
        ArgumentNullException.ThrowIfNull(features);
        return new GraphInput(features, null, new GraphCombination());
    }

    /// <summary>A graph given as input alone: its weights are the affinities (the kernel's parameters are not used, and there is no inductive prediction).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="graph"/> is null.</exception>
    public static GraphInput FromGraph(SparseGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return new GraphInput(null, graph, new GraphCombination());
    }

    /// <exception cref="InputDataException">when the features' rows and the graph's nodes differ.</exception>
    public static GraphInput Combined(FeatureMatrix features, SparseGraph graph, GraphCombination? combination = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(graph);
        if (features.Rows != graph.Nodes)
            throw new InputDataException($"the graph has {graph.Nodes} nodes but the features have {features.Rows} rows; they must describe the same nodes");
        return new GraphInput(features, graph, combination ?? new GraphCombination());
    }

    /// <summary>Features, a graph, or both (at least one).</summary>
    public static GraphInput Of(FeatureMatrix? features, SparseGraph? graph, GraphCombination? combination = null) => (features, graph) switch
    {
        (not null, null) => FromFeatures(features),
        (null, not null) => FromGraph(graph),
        (not null, not null) => Combined(features, graph, combination),
        _ => throw new ArgumentException("features, a graph or both are needed"),
    };

    /// <summary>Features alone (<see cref="FromFeatures"/>).</summary>
    public static implicit operator GraphInput(FeatureMatrix features) => FromFeatures(features);

    /// <summary>A graph alone (<see cref="FromGraph"/>).</summary>
    public static implicit operator GraphInput(SparseGraph graph) => FromGraph(graph);

    /// <summary>
    /// Checks <paramref name="options"/> for this input, whatever the engine: the kernel's parameters only where there
    /// are features, the combination where there are both, and conjugate gradients only on the rbf kernel's graph.
    /// </summary>
    /// <exception cref="InvalidParameterException">naming the parameter, its value and what is allowed.</exception>
    public void Validate(DiffusionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(Kind, Rows, options);
        if (Kind == GraphInputKind.FeaturesAndGraph) Combination.Validate(options.Kernel);
        if (Kind == GraphInputKind.FeaturesAndGraph && options.Model == DiffusionModel.Poisson && Combination.Mode != CombinationMode.Weights)
            throw new InvalidParameterException("combine", OptionNames.Combine[Combination.Mode],
                $"'{OptionNames.Combine[CombinationMode.Weights]}' with model 'poisson' (Poisson learning solves on one weight matrix, not a mix of two operators)");
    }

    /// <summary>The checks of <see cref="Validate(DiffusionOptions)"/> that a built graph still knows (its input's kind and rows).</summary>
    internal static void Validate(GraphInputKind kind, int rows, DiffusionOptions options)
    {
        options.Validate(rows, kind != GraphInputKind.Graph);
        if (kind != GraphInputKind.Features && options.Solver == Solver.ConjugateGradient)
            throw new InvalidParameterException("solver", OptionNames.Solver[Solver.ConjugateGradient],
                $"'{OptionNames.Solver[Solver.FixedPoint]}' with a graph given as input (conjugate gradients need the rbf kernel's symmetric W)");
    }
}
