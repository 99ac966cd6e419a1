using System.Globalization;

namespace GpuSpread;

/// <summary>Which model is fitted: scikit-learn's LabelSpreading or LabelPropagation, or Poisson learning.</summary>
public enum DiffusionModel
{
    /// <summary>LabelSpreading: <c>F &lt;- alpha S F + (1 - alpha) Y0</c>, S the symmetrically normalised affinities.</summary>
    Spreading,

    /// <summary>LabelPropagation: <c>F &lt;- T F</c>, T the row-normalised affinities, labeled rows reset each step.</summary>
    Propagation,

    /// <summary>
    /// Poisson learning (Calder, Cook, Thorpe and Slepcev, ICML 2020): the graph Poisson equation <c>L u = b</c> with
    /// sources <c>e_y - mean(e_y)</c> at the labeled rows, on the symmetric part of W without its diagonal, by the paper's
    /// iteration <c>u &lt;- u + D^-1 (b - L u)</c> and GraphLearning's stopping rule (<see cref="PoissonLearning"/>).
    /// For very few labels, where spreading's scores flatten out.
    /// </summary>
    Poisson,
}

/// <summary>How the affinity graph is built from the features.</summary>
public enum AffinityKernel
{
    /// <summary><c>W_ij = exp(-gamma |x_i - x_j|^2)</c> between every pair, recomputed tile by tile (never stored n x n).</summary>
    Rbf,

    /// <summary>The k-nearest-neighbour graph (<see cref="DiffusionOptions.NNeighbors"/>), by default scikit-learn's:
    /// directed, the point itself included, weight 1.</summary>
    Knn,
}

/// <summary>Arithmetic precision of the engine.</summary>
public enum Precision
{
    /// <summary>Distances and affinities in float32 (accumulations in float64): the default, within 1e-5 of
    /// scikit-learn; a fit switches to float64 where float32 cannot give the features' distances right.</summary>
    Float32,

    /// <summary>float64 throughout: within 1e-9 of scikit-learn.</summary>
    Float64,
}

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

    /// <summary>LabelSpreading (the default) or LabelPropagation.</summary>
    public DiffusionModel Model { get; init; } = DiffusionModel.Spreading;
    /// <summary>scikit-learn's <c>kernel</c>: rbf (the default) or knn; not used for a graph given as input alone.</summary>
    public AffinityKernel Kernel { get; init; } = AffinityKernel.Rbf;
    /// <summary>scikit-learn's <c>gamma</c> (default 20), in 1 / squared feature units: the rbf kernel's width, and the knn edges' weights with <see cref="KnnWeights.Rbf"/>; finite and positive where used.</summary>
    public double Gamma { get; init; } = 20;
    /// <summary>scikit-learn's <c>n_neighbors</c> (default 7): k of the knn kernel, the point itself counted; at least 1 and fewer than the rows.</summary>
    public int NNeighbors { get; init; } = 7;

    /// <summary>Clamping factor of LabelSpreading (ignored by LabelPropagation).</summary>
    public double Alpha { get; init; } = 0.2;

    /// <summary>scikit-learn's <c>max_iter</c>: at most this many updates (default 30 for spreading, 1000 for propagation; at least 1). Reaching it leaves <see cref="DiffusionResult.Converged"/> false, a warning rather than an error.</summary>
    public int MaxIter { get; init; } = 30;
    /// <summary>scikit-learn's <c>tol</c> (default 1e-3, at least 0): the loop stops when the L1 change of F over the whole matrix is below it; for conjugate gradients, the relative residual of each class.</summary>
    public double Tol { get; init; } = 1e-3;
    /// <summary>The precision of distances and affinities (default float32; see <see cref="GpuSpread.Precision"/>).</summary>
    public Precision Precision { get; init; } = Precision.Float32;

    /// <summary>scikit-learn's fixed-point loop (the default) or conjugate gradients on the same fixed point (rbf kernel only).</summary>
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

    /// <summary>How the knn kernel finds neighbours: exact, approximate (NN-descent) or auto (the engine's cost model).</summary>
    public KnnSearchMethod KnnSearch { get; init; } = KnnSearchMethod.Auto;

    /// <summary>True when the knn graph is scikit-learn's (directed, the point itself included, connectivity).</summary>
    public bool HasScikitLearnKnnGraph => KnnGraph == KnnGraphKind.Directed && KnnSelfLoops == KnnSelfLoops.Include && KnnWeights == KnnWeights.Connectivity;

    /// <summary>
    /// Poisson learning's class-mass correction (null: none): each class's scores are weighted by its prior over its share
    /// of the labels, so that a class that is rarer among the labels than in the data is not predicted too seldom.
    /// </summary>
    public ClassPriors? ClassPriors { get; init; }

    /// <summary>Rows per tile forced for tests (null: chosen by the engine).</summary>
    public int? RowTile { get; init; }
    /// <summary>Columns per tile forced for tests (null: chosen by the engine from the rows and the memory budget).</summary>
    public int? ColumnTile { get; init; }

    /// <summary>scikit-learn's LabelSpreading defaults.</summary>
    public static DiffusionOptions Spreading() => new() { Model = DiffusionModel.Spreading, Alpha = 0.2, MaxIter = 30 };

    /// <summary>scikit-learn's LabelPropagation defaults.</summary>
    public static DiffusionOptions Propagation() => new() { Model = DiffusionModel.Propagation, MaxIter = 1000 };

    /// <summary>Poisson learning's defaults: GraphLearning's max_iter 1000 (its stopping rule usually ends the loop far sooner).</summary>
    public static DiffusionOptions Poisson() => new() { Model = DiffusionModel.Poisson, MaxIter = 1000 };

    /// <summary>The defaults of <paramref name="model"/>: scikit-learn's, or GraphLearning's for Poisson learning.</summary>
    public static DiffusionOptions Defaults(DiffusionModel model) => model switch
    {
        DiffusionModel.Spreading => Spreading(),
        DiffusionModel.Propagation => Propagation(),
        _ => Poisson(),
    };

    /// <summary>
    /// Checks every parameter against what is allowed for <paramref name="nSamples"/> rows; the kernel's parameters only
    /// when the graph is built from features (<paramref name="features"/>), not for a graph given as input alone.
    /// </summary>
    /// <exception cref="InvalidParameterException">naming the parameter, its value and what is allowed.</exception>
    public void Validate(int nSamples, bool features = true)
    {
        CheckDefined(Model, OptionNames.Model, "model");
        CheckDefined(Kernel, OptionNames.Kernel, "kernel");
        CheckDefined(Precision, OptionNames.Precision, "precision");
        CheckDefined(Solver, OptionNames.Solver, "solver");
        CheckDefined(KnnGraph, OptionNames.KnnGraph, "knn_graph");
        CheckDefined(KnnSelfLoops, OptionNames.KnnSelfLoops, "knn_self_loops");
        CheckDefined(KnnWeights, OptionNames.KnnWeights, "knn_weights");
        CheckDefined(KnnSearch, OptionNames.KnnSearch, "knn_search");
        if (features) ValidateKernel(nSamples);
        if (Model == DiffusionModel.Spreading && !(Alpha > 0 && Alpha < 1))
            throw new InvalidParameterException("alpha", Alpha, "a float in the range (0, 1)");
        if (MaxIter < 1) throw new InvalidParameterException("max_iter", MaxIter, "an int in the range [1, inf)");
        if (!(Tol >= 0 && double.IsFinite(Tol))) throw new InvalidParameterException("tol", Tol, "a float in the range [0, inf)");
        if (MemoryLimitBytes is { } limit && limit < MinimumMemoryLimitBytes)
            throw new InvalidParameterException("memory_limit", limit, $"at least {MinimumMemoryLimitBytes} bytes (64 MiB)");
        if (Model == DiffusionModel.Poisson && Solver == Solver.ConjugateGradient)
            throw new InvalidParameterException("solver", OptionNames.Solver[Solver.ConjugateGradient],
                $"'{OptionNames.Solver[Solver.FixedPoint]}' with model 'poisson' (Poisson learning runs the paper's iteration)");
        if (ClassPriors is not null && Model != DiffusionModel.Poisson)
            throw new InvalidParameterException("class_priors", ClassPriors.ToString(), "None unless model is 'poisson' (the class-mass correction is Poisson learning's)");
        if (RowTile is { } rowTile && rowTile < 1) throw new InvalidParameterException("row_tile", rowTile, "an int in the range [1, inf)");
        if (ColumnTile is { } columnTile && columnTile < 1) throw new InvalidParameterException("column_tile", columnTile, "an int in the range [1, inf)");
    }

    private void ValidateKernel(int nSamples)
    {
        if (Kernel == AffinityKernel.Rbf && !(double.IsFinite(Gamma) && Gamma > 0))
            throw new InvalidParameterException("gamma", Gamma, "a float in the range (0, inf)");
        if (Kernel == AffinityKernel.Knn)
        {
            if (NNeighbors < 1) throw new InvalidParameterException("n_neighbors", NNeighbors, "an int in the range [1, inf)");
            if (NNeighbors >= nSamples)
                throw new InvalidParameterException("n_neighbors", NNeighbors,
                    $"smaller than the number of samples ({nSamples.ToString(CultureInfo.InvariantCulture)})");
            if (KnnWeights == KnnWeights.Rbf && !(double.IsFinite(Gamma) && Gamma > 0))
                throw new InvalidParameterException("gamma", Gamma, "a float in the range (0, inf) (it sets the rbf weights of the knn edges)");
        }
        if (Solver == Solver.ConjugateGradient && Kernel != AffinityKernel.Rbf)
            throw new InvalidParameterException("solver", OptionNames.Solver[Solver.ConjugateGradient],
                $"'{OptionNames.Solver[Solver.FixedPoint]}' with the knn kernel (conjugate gradients need a symmetric W; knn graphs are directed)");
    }

    private static void CheckDefined<T>(T value, NameTable<T> names, string parameter) where T : struct, Enum
    {
        if (!Enum.IsDefined(value)) throw new InvalidParameterException(parameter, value.ToString(), names.Allowed);
    }

    /// <summary>The smallest <see cref="MemoryLimitBytes"/> allowed: 64 MiB.</summary>
    public const long MinimumMemoryLimitBytes = 64L << 20;
}
