using System.Globalization;

namespace GpuSpread;

/// <summary>Which fixed-point iteration is run: scikit-learn's LabelSpreading or LabelPropagation.</summary>
public enum DiffusionModel { Spreading, Propagation }

/// <summary>How the affinity graph is built from the features.</summary>
public enum AffinityKernel { Rbf, Knn }

/// <summary>Arithmetic precision of the engine.</summary>
public enum Precision { Float32, Float64 }

/// <summary>How the diffusion stage reaches its fixed point.</summary>
public enum Solver
{
    /// <summary>scikit-learn's loop, with its convergence rule and n_iter_ (the default, for parity).</summary>
    FixedPoint,

    /// <summary>
    /// Conjugate gradients on the fixed point's linear system: (I - alpha S) F = (1 - alpha) Y0 for spreading,
    /// the harmonic system (D_uu - W_uu) F_u = W_ul Y_l for propagation; one right-hand side per class, stopping
    /// when every class's relative residual is below tol. Needs a symmetric W (the rbf kernel).
    /// </summary>
    ConjugateGradient,
}

/// <summary>
/// Every parameter of a fit, with scikit-learn's names (in snake case in messages) and defaults.
/// Validation lives here and only here (<see cref="Validate"/>).
/// </summary>
public sealed record DiffusionOptions
{
    /// <summary>Float64 underflows to exactly 0 below exp(-745.1332...): an rbf affinity with
    /// gamma * r beyond this counts as 0, as it does in scikit-learn.</summary>
    public const double Float64UnderflowExponent = 745.1332191019411;

    public DiffusionModel Model { get; init; } = DiffusionModel.Spreading;
    public AffinityKernel Kernel { get; init; } = AffinityKernel.Rbf;
    public double Gamma { get; init; } = 20;
    public int NNeighbors { get; init; } = 7;

    /// <summary>Clamping factor of LabelSpreading (ignored by LabelPropagation).</summary>
    public double Alpha { get; init; } = 0.2;

    public int MaxIter { get; init; } = 30;
    public double Tol { get; init; } = 1e-3;
    public Precision Precision { get; init; } = Precision.Float32;

    public Solver Solver { get; init; } = Solver.FixedPoint;

    /// <summary>Memory the engine may use for its own buffers and caches; null: a fraction of the
    /// memory available when the fit starts (<see cref="HostMemory"/>).</summary>
    public long? MemoryLimitBytes { get; init; }

    /// <summary>Cut rbf affinities where float64 underflows, as scikit-learn does (default). Without the
    /// cut every point keeps its nearest neighbours, however far.</summary>
    public bool Float64UnderflowCut { get; init; } = true;

    /// <summary>The knn kernel's graph: scikit-learn's directed one (default), or the union or mutual symmetric one.</summary>
    public KnnGraphKind KnnGraph { get; init; } = KnnGraphKind.Directed;

    /// <summary>Whether a point is one of its own k neighbours (scikit-learn: included, the default).</summary>
    public KnnSelfLoops KnnSelfLoops { get; init; } = KnnSelfLoops.Include;

    /// <summary>Weights of the knn edges: 1 (scikit-learn's connectivity, the default) or exp(-gamma r) (rbf).</summary>
    public KnnWeights KnnWeights { get; init; } = KnnWeights.Connectivity;

    /// <summary>How the knn kernel finds neighbours: exact, approximate (NN-descent) or auto (by the number of rows).</summary>
    public KnnSearchMethod KnnSearch { get; init; } = KnnSearchMethod.Auto;

    /// <summary>
    /// Rows from which auto picks the approximate search (bench/RESULTS.md). The exact search grows as n^2 and NN-descent
    /// as n, but where they meet depends on how much the exact search's tile bounds prune: on the benchmark's separated
    /// 64-dimensional clusters near 1,000,000 rows (both about 350 CPU-s there), on data they cannot prune below 100,000
    /// (uniform rows: 35 s against 50 s). From 500,000 rows neither choice costs much more than the other could: on the
    /// benchmark NN-descent then takes at most about twice the exact search's time, and on unprunable data the exact
    /// search would take several times NN-descent's and grow as n^2.
    /// </summary>
    public const int ApproximateKnnRows = 500_000;

    /// <summary>The search the CPU engine runs for <paramref name="rows"/> rows: auto resolved by <see cref="ApproximateKnnRows"/>.</summary>
    public KnnSearchMethod KnnSearchFor(int rows) => KnnSearch != KnnSearchMethod.Auto ? KnnSearch
        : rows >= ApproximateKnnRows ? KnnSearchMethod.Approximate : KnnSearchMethod.Exact;

    /// <summary>True when the knn graph is scikit-learn's (directed, the point itself included, connectivity).</summary>
    public bool HasScikitLearnKnnGraph => KnnGraph == KnnGraphKind.Directed && KnnSelfLoops == KnnSelfLoops.Include && KnnWeights == KnnWeights.Connectivity;

    /// <summary>Tile sizes forced for tests (null: chosen by the engine).</summary>
    public int? RowTile { get; init; }
    public int? ColumnTile { get; init; }

    /// <summary>scikit-learn's LabelSpreading defaults.</summary>
    public static DiffusionOptions Spreading() => new() { Model = DiffusionModel.Spreading, Alpha = 0.2, MaxIter = 30 };

    /// <summary>scikit-learn's LabelPropagation defaults.</summary>
    public static DiffusionOptions Propagation() => new() { Model = DiffusionModel.Propagation, MaxIter = 1000 };

    /// <summary>Checks every parameter against what is allowed for <paramref name="nSamples"/> rows.</summary>
    /// <exception cref="InvalidParameterException">naming the parameter, its value and what is allowed.</exception>
    public void Validate(int nSamples)
    {
        if (!Enum.IsDefined(Model)) throw new InvalidParameterException("model", Model.ToString(), "'spreading' or 'propagation'");
        if (!Enum.IsDefined(Kernel)) throw new InvalidParameterException("kernel", Kernel.ToString(), "'rbf' or 'knn'");
        if (!Enum.IsDefined(Precision)) throw new InvalidParameterException("precision", Precision.ToString(), "'float32' or 'float64'");
        if (Kernel == AffinityKernel.Rbf && !(double.IsFinite(Gamma) && Gamma > 0))
            throw new InvalidParameterException("gamma", Gamma, "a float in the range (0, inf)");
        if (Kernel == AffinityKernel.Knn)
        {
            if (NNeighbors < 1) throw new InvalidParameterException("n_neighbors", NNeighbors, "an int in the range [1, inf)");
            if (NNeighbors >= nSamples)
                throw new InvalidParameterException("n_neighbors", NNeighbors,
                    $"smaller than the number of samples ({nSamples.ToString(CultureInfo.InvariantCulture)})");
        }
        if (!Enum.IsDefined(KnnGraph)) throw new InvalidParameterException("knn_graph", KnnGraph.ToString(), "'directed', 'union' or 'mutual'");
        if (!Enum.IsDefined(KnnSelfLoops)) throw new InvalidParameterException("knn_self_loops", KnnSelfLoops.ToString(), "'include' or 'drop'");
        if (!Enum.IsDefined(KnnWeights)) throw new InvalidParameterException("knn_weights", KnnWeights.ToString(), "'connectivity' or 'rbf'");
        if (!Enum.IsDefined(KnnSearch)) throw new InvalidParameterException("knn_search", KnnSearch.ToString(), "'auto', 'exact' or 'approximate'");
        if (Kernel == AffinityKernel.Knn && KnnWeights == KnnWeights.Rbf && !(double.IsFinite(Gamma) && Gamma > 0))
            throw new InvalidParameterException("gamma", Gamma, "a float in the range (0, inf) (it sets the rbf weights of the knn edges)");
        if (Model == DiffusionModel.Spreading && !(Alpha > 0 && Alpha < 1))
            throw new InvalidParameterException("alpha", Alpha, "a float in the range (0, 1)");
        if (MaxIter < 1) throw new InvalidParameterException("max_iter", MaxIter, "an int in the range [1, inf)");
        if (!(Tol >= 0 && double.IsFinite(Tol))) throw new InvalidParameterException("tol", Tol, "a float in the range [0, inf)");
        if (!Enum.IsDefined(Solver)) throw new InvalidParameterException("solver", Solver.ToString(), "'fixed-point' or 'cg'");
        if (Solver == Solver.ConjugateGradient && Kernel != AffinityKernel.Rbf)
            throw new InvalidParameterException("solver", "cg", "'fixed-point' with the knn kernel (conjugate gradients need a symmetric W; knn graphs are directed)");
        if (MemoryLimitBytes is { } limit && limit < MinimumMemoryLimitBytes)
            throw new InvalidParameterException("memory_limit", limit, $"at least {MinimumMemoryLimitBytes} bytes (64 MiB)");
        if (RowTile is { } rowTile && rowTile < 1) throw new InvalidParameterException("row_tile", rowTile, "an int in the range [1, inf)");
        if (ColumnTile is { } columnTile && columnTile < 1) throw new InvalidParameterException("column_tile", columnTile, "an int in the range [1, inf)");
    }

    public const long MinimumMemoryLimitBytes = 64L << 20;
}
