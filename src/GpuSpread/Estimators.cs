using System.Diagnostics;

namespace GpuSpread;

/// <summary>
/// The one fit path: the estimator contract scikit-learn users know (BaseLabelPropagation), over any
/// <see cref="GraphInput"/> and any engine. <see cref="Fit"/> builds the graph and runs the solver; the graph is kept,
/// so that <see cref="Refit"/> with new labels (active learning, self-training) reruns only the solver. Fitted results
/// are <see cref="Classes"/>, <see cref="LabelDistributions"/>, <see cref="Transduction"/>, <see cref="NIter"/> and
/// <see cref="Converged"/>; -1 means unlabeled. The parameters are one <see cref="DiffusionOptions"/> record; the
/// scikit-learn-named properties are views of it.
/// </summary>
public class LabelDiffusion : IDisposable
{
    private readonly IDiffusionEngine _engine;
    private DiffusionOptions _options;
    private DiffusionOptions? _fitOptions;
    private IAffinityGraph? _graph;
    private FeatureMatrix? _features;
    private DiffusionResult? _result;

    public LabelDiffusion(IDiffusionEngine engine, DiffusionOptions options)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        _engine = engine;
        _options = options;
    }

    /// <summary>Every parameter of the fit.</summary>
    public DiffusionOptions Options { get => _options; protected init => _options = value; }

    public AffinityKernel Kernel { get => _options.Kernel; init => _options = _options with { Kernel = value }; }
    public double Gamma { get => _options.Gamma; init => _options = _options with { Gamma = value }; }
    public int NNeighbors { get => _options.NNeighbors; init => _options = _options with { NNeighbors = value }; }
    public int MaxIter { get => _options.MaxIter; init => _options = _options with { MaxIter = value }; }
    public double Tol { get => _options.Tol; init => _options = _options with { Tol = value }; }
    public Precision Precision { get => _options.Precision; init => _options = _options with { Precision = value }; }
    public long? MemoryLimitBytes { get => _options.MemoryLimitBytes; init => _options = _options with { MemoryLimitBytes = value }; }

    /// <summary>Drop rbf affinities where float64 underflows, as scikit-learn does (default true).</summary>
    public bool Float64UnderflowCut { get => _options.Float64UnderflowCut; init => _options = _options with { Float64UnderflowCut = value }; }

    /// <summary>scikit-learn's fixed-point loop (default) or conjugate gradients on the same fixed point.</summary>
    public Solver Solver { get => _options.Solver; init => _options = _options with { Solver = value }; }

    /// <summary>The knn graph's form (defaults: scikit-learn's directed graph, self included, weight 1).</summary>
    public KnnGraphKind KnnGraph { get => _options.KnnGraph; init => _options = _options with { KnnGraph = value }; }
    public KnnSelfLoops KnnSelfLoops { get => _options.KnnSelfLoops; init => _options = _options with { KnnSelfLoops = value }; }
    public KnnWeights KnnWeights { get => _options.KnnWeights; init => _options = _options with { KnnWeights = value }; }

    /// <summary>The knn kernel's search: exact, approximate (NN-descent, where the engine has it) or auto (by the number of rows).</summary>
    public KnnSearchMethod KnnSearch { get => _options.KnnSearch; init => _options = _options with { KnnSearch = value }; }

    public EngineDescription Engine => _engine.Description;

    /// <summary>
    /// The precision the fitted graph was built in: <see cref="Precision"/>, or float64 where float32 could not give
    /// these features' distances right (<see cref="PrecisionEscalation"/> says why).
    /// </summary>
    public Precision FitPrecision => (_fitOptions ?? throw NotFitted()).Precision;

    /// <summary>Why the last <see cref="Fit"/> ran in float64 although float32 was asked for; null when it did not.</summary>
    public string? PrecisionEscalation { get; private set; }

    /// <summary>Sorted distinct labels, -1 excluded.</summary>
    public long[] Classes { get; private set; } = [];

    /// <summary>Per row, the index of its label in <see cref="Classes"/>, or -1 when unlabeled.</summary>
    public int[] ClassIndex { get; private set; } = [];

    /// <summary>The solver's result: n x c distributions, n_iter, convergence.</summary>
    public DiffusionResult Result => _result ?? throw NotFitted();

    /// <summary>n x c row-major; rows sum to 1, or are all zero for a row no label reached.</summary>
    public double[] LabelDistributions => Result.Distributions;

    public long[] Transduction { get; private set; } = [];
    public int NIter => Result.NIter;
    public bool Converged => Result.Converged;

    /// <summary>How the fitted knn graph's neighbours were found, with the sampled recall when approximate (null: no knn graph).</summary>
    public KnnSearchReport? KnnSearchReport => (_graph ?? throw NotFitted()).KnnSearchReport;

    /// <summary>Which rows each row of the fitted graph links to (null: the graph is not held as a sparse matrix, e.g. rbf).</summary>
    public GraphPattern? GraphPattern => (_graph ?? throw NotFitted()).Pattern;

    /// <summary>Seconds the last <see cref="Fit"/> spent building the graph (0 after a <see cref="Refit"/>).</summary>
    public double GraphSeconds { get; private set; }

    /// <summary>Seconds the last fit or refit spent in the solver.</summary>
    public double DiffuseSeconds { get; private set; }

    private InvalidOperationException NotFitted() => new(
        $"This {GetType().Name} instance is not fitted yet. Call 'Fit' with appropriate arguments before using this estimator.");

    /// <summary>Builds the graph of <paramref name="input"/> (replacing any earlier one) and fits it to <paramref name="labels"/> (-1 = unlabeled).</summary>
    public LabelDiffusion Fit(GraphInput input, IReadOnlyList<long> labels,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(labels);
        var (classes, classIndex) = LabelEncoding.Encode(labels, input.Rows);
        input.Validate(_options);
        _graph?.Dispose();
        _graph = null;
        _fitOptions = null;
        PrecisionEscalation = null;
        _result = null;
        var clock = Stopwatch.StartNew();
        var plan = DistancePrecision.Plan(input, _options);
        var fitOptions = _options with { Precision = plan.Precision };
        _graph = _engine.BuildGraph(input, fitOptions, progress, cancellation);
        _fitOptions = fitOptions;
        PrecisionEscalation = plan.Escalation;
        GraphSeconds = clock.Elapsed.TotalSeconds;
        _features = input.Features;
        Diffuse(classes, classIndex, progress, cancellation, default);
        return this;
    }

    /// <summary>Fits the graph of the last <see cref="Fit"/> to new labels: the solver only, from the labels or from
    /// <paramref name="start"/> (n x c in this call's class order; see <see cref="IDiffusionEngine.Diffuse"/>).</summary>
    public LabelDiffusion Refit(IReadOnlyList<long> labels, ReadOnlySpan<double> start = default,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var graph = _graph ?? throw NotFitted();
        var (classes, classIndex) = LabelEncoding.Encode(labels, graph.Rows);
        GraphSeconds = 0;
        Diffuse(classes, classIndex, progress, cancellation, start);
        return this;
    }

    private void Diffuse(long[] classes, int[] classIndex, IProgress<StageProgress>? progress, CancellationToken cancellation, ReadOnlySpan<double> start)
    {
        _result = null;
        var clock = Stopwatch.StartNew();
        var result = _engine.Diffuse(_graph!, classIndex, classes.Length, _fitOptions!, progress, cancellation, start);
        DiffuseSeconds = clock.Elapsed.TotalSeconds;
        Classes = classes;
        ClassIndex = classIndex;
        Transduction = LabelEncoding.Decode(classes, result.Distributions, result.Rows);
        _result = result;
    }

    /// <summary>
    /// Label distributions of new rows (m x c row-major), by scikit-learn's inductive rule. A new row whose distances the
    /// fitted precision cannot give right is refused (<see cref="FeatureRangeException"/>).
    /// </summary>
    /// <exception cref="NotSupportedException">the graph was built from a graph given as input.</exception>
    public double[] PredictProba(FeatureMatrix newFeatures, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(newFeatures);
        var fitted = Result;
        if (_features is { } training)
        {
            if (newFeatures.Cols != training.Cols)
                throw new ArgumentException($"X has {newFeatures.Cols} features, but this estimator was fitted with {training.Cols} features.", nameof(newFeatures));
            DistancePrecision.RequireQueries(training, newFeatures, _fitOptions!);
        }
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
public sealed class LabelSpreading(IDiffusionEngine engine) : LabelDiffusion(engine, DiffusionOptions.Spreading())
{
    public double Alpha { get => Options.Alpha; init => Options = Options with { Alpha = value }; }
}

/// <summary>scikit-learn's LabelPropagation: <c>F &lt;- T F</c>, rows renormalised, labeled rows reset.</summary>
public sealed class LabelPropagation(IDiffusionEngine engine) : LabelDiffusion(engine, DiffusionOptions.Propagation());
