using System.Diagnostics;

namespace GpuSpread;

/// <summary>
/// The one fit path: the estimator contract scikit-learn users know (BaseLabelPropagation), over any
/// <see cref="GraphInput"/> and any engine.
/// <see cref="Fit(GraphInput, ReadOnlySpan{long}, IProgress{StageProgress}?, CancellationToken)"/> builds the graph and
/// runs the solver; the graph is kept, so that
/// <see cref="Refit(ReadOnlySpan{long}, ReadOnlySpan{double}, IProgress{StageProgress}?, CancellationToken)"/> with new
/// labels (active learning, self-training) reruns only the solver. Fitted results are <see cref="Classes"/>,
/// <see cref="LabelDistributions"/>, <see cref="Transduction"/>, <see cref="NIter"/> and <see cref="Converged"/>; -1
/// means unlabeled. <see cref="PredictProba"/>, <see cref="Predict"/> and
/// <see cref="Score(FeatureMatrix, ReadOnlySpan{long}, CancellationToken)"/> are scikit-learn's inductive
/// <c>predict_proba</c>, <c>predict</c> and <c>score</c>. The parameters are one <see cref="DiffusionOptions"/> record;
/// the scikit-learn-named properties are views of it.
/// </summary>
public class LabelDiffusion : IDisposable
{
    private readonly IDiffusionEngine _engine;
    private DiffusionOptions _options;
    private DiffusionOptions? _fitOptions;
    private IAffinityGraph? _graph;
    private FeatureMatrix? _features;
    private DiffusionResult? _result;
    private ClassProbabilities? _distributions;

    /// <summary>An estimator that fits with <paramref name="options"/> on <paramref name="engine"/>.</summary>
    /// <param name="engine">The engine that builds the graph and runs the solver (<c>Engines.Auto()</c> in GpuSpread.Engines chooses one); it must outlive the estimator, which does not dispose it.</param>
    /// <param name="options">Every parameter of the fit; checked when <see cref="Fit(GraphInput, ReadOnlySpan{long}, IProgress{StageProgress}?, CancellationToken)"/> runs.</param>
    /// <exception cref="ArgumentNullException">a null argument.</exception>
    public LabelDiffusion(IDiffusionEngine engine, DiffusionOptions options)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        _engine = engine;
        _options = options;
    }

    /// <summary>Every parameter of the fit.</summary>
    public DiffusionOptions Options { get => _options; protected init => _options = value; }

    /// <summary>scikit-learn's <c>kernel</c> (<see cref="DiffusionOptions.Kernel"/>).</summary>
    public AffinityKernel Kernel { get => _options.Kernel; init => _options = _options with { Kernel = value }; }
    /// <summary>scikit-learn's <c>gamma</c> (<see cref="DiffusionOptions.Gamma"/>).</summary>
    public double Gamma { get => _options.Gamma; init => _options = _options with { Gamma = value }; }
    /// <summary>scikit-learn's <c>n_neighbors</c> (<see cref="DiffusionOptions.NNeighbors"/>).</summary>
    public int NNeighbors { get => _options.NNeighbors; init => _options = _options with { NNeighbors = value }; }
    /// <summary>scikit-learn's <c>max_iter</c> (<see cref="DiffusionOptions.MaxIter"/>).</summary>
    public int MaxIter { get => _options.MaxIter; init => _options = _options with { MaxIter = value }; }
    /// <summary>scikit-learn's <c>tol</c> (<see cref="DiffusionOptions.Tol"/>).</summary>
    public double Tol { get => _options.Tol; init => _options = _options with { Tol = value }; }
    /// <summary>The precision asked for (<see cref="DiffusionOptions.Precision"/>); <see cref="FitPrecision"/> is the one a fit ran in.</summary>
    public Precision Precision { get => _options.Precision; init => _options = _options with { Precision = value }; }
    /// <summary>Memory the engine may use, in bytes (<see cref="DiffusionOptions.MemoryLimitBytes"/>); null for half of the memory available.</summary>
    public long? MemoryLimitBytes { get => _options.MemoryLimitBytes; init => _options = _options with { MemoryLimitBytes = value }; }

    /// <summary>Drop rbf affinities where float64 underflows, as scikit-learn does (default true).</summary>
    public bool Float64UnderflowCut { get => _options.Float64UnderflowCut; init => _options = _options with { Float64UnderflowCut = value }; }

    /// <summary>scikit-learn's fixed-point loop (default) or conjugate gradients on the same fixed point.</summary>
    public Solver Solver { get => _options.Solver; init => _options = _options with { Solver = value }; }

    /// <summary>The knn graph's form (defaults: scikit-learn's directed graph, self included, weight 1).</summary>
    public KnnGraphKind KnnGraph { get => _options.KnnGraph; init => _options = _options with { KnnGraph = value }; }
    /// <summary>Whether a point is one of its own k neighbours (<see cref="DiffusionOptions.KnnSelfLoops"/>).</summary>
    public KnnSelfLoops KnnSelfLoops { get => _options.KnnSelfLoops; init => _options = _options with { KnnSelfLoops = value }; }
    /// <summary>The knn edges' weights (<see cref="DiffusionOptions.KnnWeights"/>).</summary>
    public KnnWeights KnnWeights { get => _options.KnnWeights; init => _options = _options with { KnnWeights = value }; }

    /// <summary>Poisson learning's class-mass correction (null: none; see <see cref="DiffusionOptions.ClassPriors"/>).</summary>
    public ClassPriors? ClassPriors { get => _options.ClassPriors; init => _options = _options with { ClassPriors = value }; }

    /// <summary>The knn kernel's search: exact, approximate (NN-descent, where the engine has it) or auto (by the number of rows).</summary>
    public KnnSearchMethod KnnSearch { get => _options.KnnSearch; init => _options = _options with { KnnSearch = value }; }

    /// <summary>What the engine runs on.</summary>
    public EngineDescription Engine => _engine.Description;

    /// <summary>
    /// The precision the fitted graph was built in: <see cref="Precision"/>, or float64 where float32 could not give
    /// these features' distances right (<see cref="PrecisionEscalation"/> says why).
    /// </summary>
    public Precision FitPrecision => (_fitOptions ?? throw NotFitted()).Precision;

    /// <summary>Why the last <see cref="Fit(GraphInput, ReadOnlySpan{long}, IProgress{StageProgress}?, CancellationToken)"/> ran in float64 although float32 was asked for; null when it did not.</summary>
    public string? PrecisionEscalation { get; private set; }

    /// <summary>Sorted distinct labels, -1 excluded.</summary>
    public long[] Classes { get; private set; } = [];

    /// <summary>Per row, the index of its label in <see cref="Classes"/>, or -1 when unlabeled.</summary>
    public int[] ClassIndex { get; private set; } = [];

    /// <summary>The solver's result: n x c distributions, n_iter, convergence.</summary>
    public DiffusionResult Result => _result ?? throw NotFitted();

    /// <summary>
    /// scikit-learn's <c>label_distributions_</c>: per training row, its distribution over <see cref="Classes"/>
    /// (<c>LabelDistributions[row, k]</c>); a row sums to 1, or is all zero for a row no label reached. The flat n x c
    /// row-major values are <see cref="DiffusionResult.Distributions"/> of <see cref="Result"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">the estimator is not fitted.</exception>
    public ClassProbabilities LabelDistributions => _distributions ?? throw NotFitted();

    /// <summary>scikit-learn's <c>transduction_</c>: per training row, the class of its largest probability in <see cref="LabelDistributions"/> (the first on ties; <c>Classes[0]</c> for a row no label reached). Empty before the first fit.</summary>
    public long[] Transduction { get; private set; } = [];
    /// <summary>scikit-learn's <c>n_iter_</c>: the updates the last fit ran, <see cref="MaxIter"/> when it did not converge.</summary>
    /// <exception cref="InvalidOperationException">the estimator is not fitted.</exception>
    public int NIter => Result.NIter;
    /// <summary>Whether the last fit reached <see cref="Tol"/> (false: scikit-learn's ConvergenceWarning).</summary>
    /// <exception cref="InvalidOperationException">the estimator is not fitted.</exception>
    public bool Converged => Result.Converged;

    /// <summary>How the fitted knn graph's neighbours were found, with the sampled recall when approximate (null: no knn graph).</summary>
    public KnnSearchReport? KnnSearchReport => (_graph ?? throw NotFitted()).KnnSearchReport;

    /// <summary>Which rows each row of the fitted graph links to (null: the graph is not held as a sparse matrix, e.g. rbf).</summary>
    public GraphPattern? GraphPattern => (_graph ?? throw NotFitted()).Pattern;

    /// <summary>Seconds the last <see cref="Fit(GraphInput, ReadOnlySpan{long}, IProgress{StageProgress}?, CancellationToken)"/> spent building the graph (0 after a <see cref="Refit(ReadOnlySpan{long}, ReadOnlySpan{double}, IProgress{StageProgress}?, CancellationToken)"/>).</summary>
    public double GraphSeconds { get; private set; }

    /// <summary>Seconds the last fit or refit spent in the solver.</summary>
    public double DiffuseSeconds { get; private set; }

    private InvalidOperationException NotFitted() => new(
        $"This {GetType().Name} instance is not fitted yet. Call 'Fit' with appropriate arguments before using this estimator.");

    /// <summary>
    /// Builds the graph of <paramref name="input"/> (replacing any earlier one) and fits it to <paramref name="labels"/>:
    /// one label per row, -1 for unlabeled, any other integer from <see cref="LabelEncoding.MinLabel"/> to
    /// <see cref="LabelEncoding.MaxLabel"/> a class. Returns this estimator.
    /// </summary>
    /// <param name="input">Features (a <see cref="FeatureMatrix"/> converts implicitly), a graph, or both.</param>
    /// <param name="labels">One label per row of <paramref name="input"/>; an <c>int[]</c> or <c>long[]</c> converts implicitly.</param>
    /// <param name="progress">Receives the stages' progress (graph, iterate); null for none.</param>
    /// <param name="cancellation">Stops the fit between tiles or iterations with an <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="InputDataException">a label count that differs from the rows, no labeled row, or a label outside the range.</exception>
    /// <exception cref="InvalidParameterException">options the input does not allow (<see cref="GraphInput.Validate(DiffusionOptions)"/>).</exception>
    /// <exception cref="EngineCapabilityException">what the engine cannot run (<see cref="EngineCapabilities"/>).</exception>
    /// <exception cref="FeatureRangeException">features whose distances no precision can give right.</exception>
    public LabelDiffusion Fit(GraphInput input, ReadOnlySpan<long> labels,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(input);
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

    /// <inheritdoc cref="Fit(GraphInput, ReadOnlySpan{long}, IProgress{StageProgress}?, CancellationToken)"/>
    public LabelDiffusion Fit(GraphInput input, ReadOnlySpan<int> labels,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default)
        => Fit(input, Widen(labels), progress, cancellation);

    /// <summary>
    /// Fits the graph of the last <see cref="Fit(GraphInput, ReadOnlySpan{long}, IProgress{StageProgress}?, CancellationToken)"/>
    /// to new labels: the solver only (active learning, self-training). Returns this estimator.
    /// </summary>
    /// <param name="labels">One label per graph row, -1 for unlabeled.</param>
    /// <param name="start">Optional warm start for the fixed-point loop: n x c row-major in this call's class order
    /// (see <see cref="IDiffusionEngine.Diffuse"/>); empty to start from the labels.</param>
    /// <param name="progress">Receives the solver's progress; null for none.</param>
    /// <param name="cancellation">Stops the solver between iterations with an <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="InvalidOperationException">the estimator is not fitted.</exception>
    /// <exception cref="InputDataException">a label count that differs from the graph's rows, or no labeled row.</exception>
    public LabelDiffusion Refit(ReadOnlySpan<long> labels, ReadOnlySpan<double> start = default,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default)
    {
        var graph = _graph ?? throw NotFitted();
        var (classes, classIndex) = LabelEncoding.Encode(labels, graph.Rows);
        GraphSeconds = 0;
        Diffuse(classes, classIndex, progress, cancellation, start);
        return this;
    }

    /// <inheritdoc cref="Refit(ReadOnlySpan{long}, ReadOnlySpan{double}, IProgress{StageProgress}?, CancellationToken)"/>
    public LabelDiffusion Refit(ReadOnlySpan<int> labels, ReadOnlySpan<double> start = default,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default)
        => Refit(Widen(labels), start, progress, cancellation);

    private static long[] Widen(ReadOnlySpan<int> labels)
    {
        var wide = new long[labels.Length];
        for (int i = 0; i < labels.Length; i++) wide[i] = labels[i];
        return wide;
    }

    private void Diffuse(long[] classes, int[] classIndex, IProgress<StageProgress>? progress, CancellationToken cancellation, ReadOnlySpan<double> start)
    {
        _result = null;
        _distributions = null;
        var clock = Stopwatch.StartNew();
        var result = _engine.Diffuse(_graph!, classIndex, classes.Length, _fitOptions!, progress, cancellation, start);
        if (_fitOptions!.ClassPriors is { } priors)
            PoissonLearning.CorrectClassMass(result.Distributions, classes.Length, classIndex, priors.For(classes));
        DiffuseSeconds = clock.Elapsed.TotalSeconds;
        Classes = classes;
        ClassIndex = classIndex;
        Transduction = LabelEncoding.Decode(classes, result.Distributions, result.Rows);
        _result = result;
        _distributions = new ClassProbabilities(classes, result.Distributions);
    }

    /// <summary>
    /// scikit-learn's <c>predict_proba</c>: the distributions of new rows over <see cref="Classes"/>, by its inductive
    /// rule (rbf: the row-normalised <c>K(X_new, X_train) F</c>; knn: the normalised sum of the k nearest training rows'
    /// distributions). A new row with no affinity left (every rbf affinity underflows) gets an all-zero row, where
    /// scikit-learn gives NaN.
    /// </summary>
    /// <param name="newFeatures">m rows with the training rows' number of columns; m may be 0.</param>
    /// <param name="cancellation">Stops the prediction between tiles with an <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="InvalidOperationException">the estimator is not fitted.</exception>
    /// <exception cref="ArgumentException">new rows with another number of columns than the training rows.</exception>
    /// <exception cref="NotSupportedException">the graph was built from a graph given as input: new rows have no edges to it.</exception>
    /// <exception cref="FeatureRangeException">a new row whose distances the fitted precision cannot give right.</exception>
    public ClassProbabilities PredictProba(FeatureMatrix newFeatures, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(newFeatures);
        var fitted = Result;
        if (_features is { } training)
        {
            if (newFeatures.Cols != training.Cols)
                throw new ArgumentException($"X has {newFeatures.Cols} features, but this estimator was fitted with {training.Cols} features.", nameof(newFeatures));
            DistancePrecision.RequireQueries(training, newFeatures, _fitOptions!);
        }
        return new ClassProbabilities(Classes, _engine.PredictProba(_graph!, fitted, newFeatures, cancellation));
    }

    /// <summary>scikit-learn's <c>predict</c>: per new row, the class of its largest probability in
    /// <see cref="PredictProba"/> (the first class on ties).</summary>
    /// <inheritdoc cref="PredictProba" path="/exception"/>
    public long[] Predict(FeatureMatrix newFeatures, CancellationToken cancellation = default)
        => PredictProba(newFeatures, cancellation).MostProbable();

    /// <summary>
    /// scikit-learn's <c>score</c> (ClassifierMixin): the mean accuracy of <see cref="Predict"/> on
    /// <paramref name="features"/> against <paramref name="labels"/>, the fraction of rows whose prediction equals the
    /// label, from 0 to 1. Every row counts, as in scikit-learn: a label of -1 is never predicted, so it counts as wrong.
    /// Scoring the training rows runs the inductive rule on them, not <see cref="Transduction"/>, as scikit-learn does.
    /// </summary>
    /// <param name="features">The rows to predict, with the training rows' number of columns.</param>
    /// <param name="labels">The true label of each row.</param>
    /// <param name="cancellation">Stops the prediction with an <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="ArgumentException">a label count that differs from the rows, no row, or another number of columns.</exception>
    /// <exception cref="InvalidOperationException">the estimator is not fitted.</exception>
    /// <exception cref="NotSupportedException">the graph was built from a graph given as input.</exception>
    public double Score(FeatureMatrix features, ReadOnlySpan<long> labels, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (labels.Length != features.Rows)
            throw new ArgumentException($"the labels have {labels.Length} rows but the features have {features.Rows}: they must have one label per row", nameof(labels));
        if (features.Rows == 0) throw new ArgumentException("no rows to score", nameof(features));
        long[] predicted = Predict(features, cancellation);
        int right = 0;
        for (int i = 0; i < predicted.Length; i++)
            if (predicted[i] == labels[i]) right++;
        return (double)right / predicted.Length;
    }

    /// <inheritdoc cref="Score(FeatureMatrix, ReadOnlySpan{long}, CancellationToken)"/>
    public double Score(FeatureMatrix features, ReadOnlySpan<int> labels, CancellationToken cancellation = default)
        => Score(features, Widen(labels), cancellation);

    /// <summary>Frees the fitted graph (which may hold device memory); the engine is not disposed.</summary>
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
    /// <summary>scikit-learn's <c>alpha</c> (default 0.2): the share of its neighbours' labels a row takes each step, in (0, 1); the rest is its initial label.</summary>
    public double Alpha { get => Options.Alpha; init => Options = Options with { Alpha = value }; }
}

/// <summary>scikit-learn's LabelPropagation: <c>F &lt;- T F</c>, rows renormalised, labeled rows reset.</summary>
public sealed class LabelPropagation(IDiffusionEngine engine) : LabelDiffusion(engine, DiffusionOptions.Propagation());

/// <summary>Poisson learning (<see cref="GpuSpread.PoissonLearning"/>), for very few labels, with GraphLearning's defaults.</summary>
public sealed class PoissonLearner(IDiffusionEngine engine) : LabelDiffusion(engine, DiffusionOptions.Poisson());
