namespace GpuSpread.Graphs;

/// <summary>How a feature graph and an input graph (an edge list) are combined when both are given.</summary>
public enum CombinationMode
{
    /// <summary>
    /// The normalised operators are mixed: spreading uses <c>S = (1 - mu) S_features + mu S_graph</c>, each S
    /// symmetrically normalised on its own graph; propagation uses <c>T = (1 - mu) T_features + mu T_graph</c>, each T
    /// row-normalised on its own graph (a row with no edge in one graph takes all its weight from the other).
    /// Works with both kernels.
    /// </summary>
    Operators,

    /// <summary>
    /// One graph: <c>W = (1 - mu) W_knn + mu W_graph</c> (the union of both edge sets, weights added where both have
    /// an edge), then normalised as usual. The knn kernel only (a dense rbf W plus a sparse one is still dense).
    /// </summary>
    Weights,
}

/// <summary>The combination of a feature graph and an input graph, and the input graph's share mu.</summary>
public sealed record GraphCombination
{
    /// <summary>How the two graphs are combined: their normalised operators (the default) or their weights (knn kernel only).</summary>
    public CombinationMode Mode { get; init; } = CombinationMode.Operators;

    /// <summary>mu: the input graph's share, in [0, 1] (0: the feature graph alone; 1: the input graph alone).</summary>
    public double GraphWeight { get; init; } = 0.5;

    /// <exception cref="InvalidParameterException">naming the parameter, its value and what is allowed.</exception>
    public void Validate(AffinityKernel kernel)
    {
        if (!Enum.IsDefined(Mode)) throw new InvalidParameterException("combine", Mode.ToString(), "'operators' or 'weights'");
        if (!(GraphWeight >= 0 && GraphWeight <= 1))
            throw new InvalidParameterException("graph_weight", GraphWeight, "a float in the range [0, 1]");
        if (Mode == CombinationMode.Weights && kernel != AffinityKernel.Knn)
            throw new InvalidParameterException("combine", "weights", "'operators' with the rbf kernel ('weights' adds the graphs' weights, which needs the sparse knn kernel)");
    }
}
