namespace GpuSpread;

/// <summary>
/// The estimator contract scikit-learn users know (BaseLabelPropagation): parameters as init-only
/// properties with scikit-learn's defaults, <see cref="Fit"/> validates and returns the estimator,
/// fitted results end up in <see cref="Classes"/>, <see cref="LabelDistributions"/>,
/// <see cref="Transduction"/>, <see cref="NIter"/> and <see cref="Converged"/>; -1 means unlabeled.
/// </summary>
public abstract class LabelDiffusion : IDisposable
{
    private readonly IDiffusionEngine _engine;
    private IAffinityGraph? _graph;
    private DiffusionResult? _result;
    private int _fittedColumns;

    protected LabelDiffusion(IDiffusionEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        _engine = engine;
    }

    public AffinityKernel Kernel { get; init; } = AffinityKernel.Rbf;
    public double Gamma { get; init; } = 20;
    public int NNeighbors { get; init; } = 7;
    public abstract int MaxIter { get; init; }
    public double Tol { get; init; } = 1e-3;
    public Precision Precision { get; init; } = Precision.Float32;
    public long? MemoryLimitBytes { get; init; }

    /// <summary>Drop rbf affinities where float64 underflows, as scikit-learn does (default true).</summary>
    public bool Float64UnderflowCut { get; init; } = true;

    /// <summary>scikit-learn's fixed-point loop (default) or conjugate gradients on the same fixed point.</summary>
    public Solver Solver { get; init; } = Solver.FixedPoint;

    /// <summary>The knn graph's form (defaults: scikit-learn's directed graph, self included, weight 1).</summary>
    public KnnGraphKind KnnGraph { get; init; } = KnnGraphKind.Directed;
    public KnnSelfLoops KnnSelfLoops { get; init; } = KnnSelfLoops.Include;
    public KnnWeights KnnWeights { get; init; } = KnnWeights.Connectivity;

    /// <summary>The knn kernel's search: exact, approximate (NN-descent, CPU engine) or auto (by the number of rows).</summary>
    public KnnSearchMethod KnnSearch { get; init; } = KnnSearchMethod.Auto;

    /// <summary>The estimator for <paramref name="options"/> (its model picks the class).</summary>
    public static LabelDiffusion Create(IDiffusionEngine engine, DiffusionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Model == DiffusionModel.Spreading
            ? new LabelSpreading(engine)
            {
                Kernel = options.Kernel, Gamma = options.Gamma, NNeighbors = options.NNeighbors, Alpha = options.Alpha, MaxIter = options.MaxIter,
                Tol = options.Tol, Precision = options.Precision, MemoryLimitBytes = options.MemoryLimitBytes,
                Float64UnderflowCut = options.Float64UnderflowCut, Solver = options.Solver,
                KnnGraph = options.KnnGraph, KnnSelfLoops = options.KnnSelfLoops, KnnWeights = options.KnnWeights, KnnSearch = options.KnnSearch,
            }
            : new LabelPropagation(engine)
            {
                Kernel = options.Kernel, Gamma = options.Gamma, NNeighbors = options.NNeighbors, MaxIter = options.MaxIter,
                Tol = options.Tol, Precision = options.Precision, MemoryLimitBytes = options.MemoryLimitBytes,
                Float64UnderflowCut = options.Float64UnderflowCut, Solver = options.Solver,
                KnnGraph = options.KnnGraph, KnnSelfLoops = options.KnnSelfLoops, KnnWeights = options.KnnWeights, KnnSearch = options.KnnSearch,
            };
    }

    /// <summary>The options record these parameters make.</summary>
    public abstract DiffusionOptions Options { get; }

    public EngineDescription Engine => _engine.Description;

    /// <summary>Sorted distinct labels, -1 excluded.</summary>
    public long[] Classes { get; private set; } = [];

    /// <summary>n x c row-major; rows sum to 1, or are all zero for a row no label reached.</summary>
    public double[] LabelDistributions => Fitted.Distributions;

    public long[] Transduction { get; private set; } = [];

    /// <summary>How the fitted knn graph's neighbours were found, with the sampled recall when approximate (null: rbf).</summary>
    public KnnSearchReport? KnnSearchReport => _graph is null ? throw NotFitted() : _graph.KnnSearchReport;
    public int NIter => Fitted.NIter;
    public bool Converged => Fitted.Converged;

    private DiffusionResult Fitted => _result ?? throw NotFitted();

    private InvalidOperationException NotFitted() => new(
        $"This {GetType().Name} instance is not fitted yet. Call 'Fit' with appropriate arguments before using this estimator.");

    /// <summary>Fits on <paramref name="features"/> with <paramref name="labels"/> (-1 = unlabeled).</summary>
    public LabelDiffusion Fit(FeatureMatrix features, IReadOnlyList<long> labels,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        var options = Options;
        var (classes, classIndex) = LabelEncoding.Encode(labels, features.Rows);
        options.Validate(features.Rows);

        _graph?.Dispose();
        _graph = null;
        _result = null;
        var graph = _engine.BuildGraph(features, options, progress, cancellation);
        try
        {
            _result = _engine.Diffuse(graph, classIndex, classes.Length, options, progress, cancellation);
        }
        catch
        {
            graph.Dispose();
            throw;
        }
        _graph = graph;
        _fittedColumns = features.Cols;
        Classes = classes;
        Transduction = LabelEncoding.Decode(classes, _result.Distributions, _result.Rows);
        return this;
    }

    /// <summary>Label distributions of new rows (m x c row-major), by scikit-learn's inductive rule.</summary>
    public double[] PredictProba(FeatureMatrix newFeatures, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(newFeatures);
        var fitted = Fitted;
        if (newFeatures.Cols != _fittedColumns)
            throw new ArgumentException($"X has {newFeatures.Cols} features, but this estimator was fitted with {_fittedColumns} features.", nameof(newFeatures));
        return _engine.PredictProba(_graph!, fitted, newFeatures, cancellation);
    }

    /// <summary>Labels of new rows: the class of the largest probability (the first on ties).</summary>
    public long[] Predict(FeatureMatrix newFeatures, CancellationToken cancellation = default)
        => LabelEncoding.Decode(Classes, PredictProba(newFeatures, cancellation), newFeatures.Rows);

    public void Dispose()
    {
        _graph?.Dispose();
        _graph = null;
        GC.SuppressFinalize(this);
    }
}

/// <summary>scikit-learn's LabelSpreading: <c>F &lt;- alpha S F + (1 - alpha) Y0</c>, S symmetrically normalised.</summary>
public sealed class LabelSpreading(IDiffusionEngine engine) : LabelDiffusion(engine)
{
    public double Alpha { get; init; } = 0.2;
    public override int MaxIter { get; init; } = 30;

    public override DiffusionOptions Options => new()
    {
        Model = DiffusionModel.Spreading, Kernel = Kernel, Gamma = Gamma, NNeighbors = NNeighbors, Alpha = Alpha,
        MaxIter = MaxIter, Tol = Tol, Precision = Precision, MemoryLimitBytes = MemoryLimitBytes,
        Float64UnderflowCut = Float64UnderflowCut, Solver = Solver,
        KnnGraph = KnnGraph, KnnSelfLoops = KnnSelfLoops, KnnWeights = KnnWeights, KnnSearch = KnnSearch,
    };
}

/// <summary>scikit-learn's LabelPropagation: <c>F &lt;- T F</c>, rows renormalised, labeled rows reset.</summary>
public sealed class LabelPropagation(IDiffusionEngine engine) : LabelDiffusion(engine)
{
    public override int MaxIter { get; init; } = 1000;

    public override DiffusionOptions Options => new()
    {
        Model = DiffusionModel.Propagation, Kernel = Kernel, Gamma = Gamma, NNeighbors = NNeighbors,
        MaxIter = MaxIter, Tol = Tol, Precision = Precision, MemoryLimitBytes = MemoryLimitBytes,
        Float64UnderflowCut = Float64UnderflowCut, Solver = Solver,
        KnnGraph = KnnGraph, KnnSelfLoops = KnnSelfLoops, KnnWeights = KnnWeights, KnnSearch = KnnSearch,
    };
}
