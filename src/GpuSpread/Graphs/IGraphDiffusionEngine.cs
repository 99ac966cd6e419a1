namespace GpuSpread.Graphs;

/// <summary>
/// An engine that also takes a graph as input (an edge list instead of, or besides, the features). The
/// products are ordinary <see cref="IAffinityGraph"/>s: <see cref="IDiffusionEngine.Diffuse"/> runs the same
/// spreading and propagation loops over them, with these semantics, scikit-learn's for any W:
/// <list type="bullet">
/// <item>spreading: <c>S = D^-1/2 W' D^-1/2</c>, W' = W without its diagonal, D its column sums (the degrees
/// of a symmetric graph), a zero degree counting as 1, so that an isolated node keeps an all-zero row;</item>
/// <item>propagation: <c>T = W / rowsum(W)</c> with W's diagonal as it is (an input graph has none: its
/// self-loops are dropped), labeled rows reset every iteration; an isolated unlabeled node stays all zero.</item>
/// </list>
/// Inductive prediction (<see cref="IDiffusionEngine.PredictProba"/>) needs features for the new rows and an
/// affinity to the training rows: graphs built from an edge list do not support it.
/// The CPU engine implements it; the GPU engine does not yet.
/// </summary>
public interface IGraphDiffusionEngine : IDiffusionEngine
{
    /// <summary>The operator of <paramref name="graph"/> alone (<see cref="DiffusionOptions.Kernel"/> and its parameters are unused).</summary>
    IAffinityGraph BuildGraph(SparseGraph graph, DiffusionOptions options,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default);

    /// <summary>The feature graph of <paramref name="features"/> (by <paramref name="options"/>) combined with <paramref name="graph"/>.</summary>
    IAffinityGraph BuildGraph(FeatureMatrix features, SparseGraph graph, GraphCombination combination, DiffusionOptions options,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default);
}

/// <summary>A graph given as input to an engine that cannot take one; the program exits with code 1.</summary>
public sealed class GraphInputNotSupportedException(string message) : NotSupportedException(message);
