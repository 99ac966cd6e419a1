namespace GpuSpread;

/// <summary>
/// How the k-nearest-neighbour lists become a graph (<see cref="DiffusionOptions.KnnGraph"/>). scikit-learn
/// only has <see cref="Directed"/>; the symmetric forms are what its issue #8008 (2016) asks for.
/// </summary>
public enum KnnGraphKind
{
    /// <summary>W_ij = 1 when j is among i's k nearest neighbours: not symmetric (scikit-learn's knn kernel, the default).</summary>
    Directed,

    /// <summary>W = max(W_directed, W_directed^T): i and j are joined when either is among the other's neighbours.</summary>
    Union,

    /// <summary>W = min(W_directed, W_directed^T): joined only when each is among the other's neighbours (a point may end up isolated).</summary>
    Mutual,
}

/// <summary>Whether a point counts among its own k neighbours (<see cref="DiffusionOptions.KnnSelfLoops"/>).</summary>
public enum KnnSelfLoops
{
    /// <summary>The point itself is one of its k neighbours (scikit-learn's default; W_ii = 1, k - 1 other points).</summary>
    Include,

    /// <summary>k other points, no self-loop (W_ii = 0), as Zhou et al. define the graph (scikit-learn issue #11784).</summary>
    Drop,
}

/// <summary>The weight of a kNN edge (<see cref="DiffusionOptions.KnnWeights"/>).</summary>
public enum KnnWeights
{
    /// <summary>1 on every edge (scikit-learn's connectivity graph, the default).</summary>
    Connectivity,

    /// <summary>exp(-gamma ||x_i - x_j||^2) on the kNN edges only: a sparse rbf kernel (scikit-learn PR #15922).</summary>
    Rbf,
}

/// <summary>How the knn kernel finds each row's neighbours (<see cref="DiffusionOptions.KnnSearch"/>).</summary>
public enum KnnSearchMethod
{
    /// <summary>The cheaper of the two by the engine's cost model, from the rows, the features and how much the exact search's tile
    /// bounds would prune (the CPU engine; the GPU engine's search is always exact).</summary>
    Auto,

    /// <summary>Brute force: every row's true k nearest (scikit-learn's answer).</summary>
    Exact,

    /// <summary>NN-descent (Dong, Charikar and Li, WWW 2011) on the CPU engine, its recall measured on a sample of rows.</summary>
    Approximate,
}
