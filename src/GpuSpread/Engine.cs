namespace GpuSpread;

/// <summary>What an engine runs on, for logs and summaries.</summary>
/// <param name="Name">The engine's short name: cpu, gpu, gpu-sim.</param>
/// <param name="Device">The device in words (processor and SIMD width, or GPU name and memory).</param>
public sealed record EngineDescription(string Name, string Device);

/// <summary>Progress of a long stage, reported to an <see cref="IProgress{T}"/>: at once, from whichever of the engine's
/// threads finished the work, so the receiver must be thread-safe (a row stage's reports may come slightly out of order).</summary>
/// <param name="Stage">graph, nn-descent, degrees, iterate, predict</param>
/// <param name="Done">Units done so far in this stage (rows, or iterations).</param>
/// <param name="Total">Units in this stage (max_iter for the iteration stage, the most rounds for nn-descent).</param>
/// <param name="Change">For the iteration stage, the last L1 change; for nn-descent, the share of list entries the last round changed; NaN otherwise.</param>
public readonly record struct StageProgress(string Stage, long Done, long Total, double Change);

/// <summary>
/// The graph stage's product: an operator that applies S (spreading) or T (propagation) to F, built once for a
/// <see cref="GraphInput"/> and reusable across fits that change only the labels.
/// Opaque outside its engine; disposing it frees its buffers and caches.
/// </summary>
public interface IAffinityGraph : IDisposable
{
    /// <summary>The number of nodes: rows of the features, or nodes of the graph given as input.</summary>
    int Rows { get; }

    /// <summary>The options the graph was built with (model, kernel, precision fix its form).</summary>
    DiffusionOptions Options { get; }

    /// <summary>What the graph was built from: only a graph of features alone predicts new rows.</summary>
    GraphInputKind Input { get; }

    /// <summary>How the knn kernel's neighbours were found (null: no knn graph from features).</summary>
    KnnSearchReport? KnnSearchReport { get; }

    /// <summary>Which rows each row of W links to, in the caller's row order; null where W is not held as a sparse matrix
    /// (the rbf kernel's, computed tile by tile, and a combination of operators).</summary>
    GraphPattern? Pattern { get; }
}

/// <summary>
/// The sparsity pattern of a sparse W: row i's stored columns, in increasing order (for the knn kernel, i's k nearest
/// rows, i itself among them unless dropped). The arrays are shared with the graph: read them, never write.
/// </summary>
/// <param name="Rows">The graph's rows (and columns).</param>
/// <param name="RowStart">Rows + 1 offsets into <paramref name="Columns"/>.</param>
/// <param name="Columns">Every row's stored columns, row after row.</param>
public sealed record GraphPattern(int Rows, int[] RowStart, int[] Columns)
{
    /// <summary>The columns row <paramref name="row"/> links to, in increasing order (a Poisson graph's: those of W's symmetric part).</summary>
    public ReadOnlySpan<int> Neighbours(int row) => Columns.AsSpan(RowStart[row], RowStart[row + 1] - RowStart[row]);
}

/// <summary>How a knn graph's neighbour lists were found.</summary>
/// <param name="Method">Exact or Approximate: what auto resolved to.</param>
/// <param name="RecallSample">Rows whose approximate lists were checked against the exact search (0 when exact).</param>
/// <param name="Recall">The mean fraction of those rows' exact k nearest that their lists hold (1 when exact).</param>
public sealed record KnnSearchReport(KnnSearchMethod Method, int RecallSample, double Recall)
{
    /// <summary>The report of an exact search: every list holds the exact k nearest (recall 1, nothing sampled).</summary>
    public static KnnSearchReport Exact { get; } = new(KnnSearchMethod.Exact, 0, 1);
}

/// <summary>The diffusion stage's result.</summary>
/// <param name="Distributions">n x c row-major, each row summing to 1 or all zero (an unreachable row).</param>
/// <param name="NIter">scikit-learn's n_iter_: completed updates, or max_iter when not converged.</param>
/// <param name="Rows">n, the graph's rows.</param>
/// <param name="Classes">c, the number of classes (columns of <paramref name="Distributions"/>).</param>
/// <param name="Converged">False when max_iter was reached (scikit-learn raises a ConvergenceWarning).</param>
public sealed record DiffusionResult(double[] Distributions, int Rows, int Classes, int NIter, bool Converged);

/// <summary>
/// The engine contract, implemented by the CPU engine and the GPU engine and checked for parity by one test suite
/// over both. Two stages, each testable alone: <see cref="BuildGraph"/> and <see cref="Diffuse"/>, plus the
/// inductive <see cref="PredictProba"/>. What an engine cannot run is declared in <see cref="Capabilities"/>, and
/// <see cref="BuildGraph"/> refuses it with an <see cref="EngineCapabilityException"/>.
/// </summary>
public interface IDiffusionEngine : IDisposable
{
    /// <summary>What the engine runs on, for logs and summaries.</summary>
    EngineDescription Description { get; }

    /// <summary>What the engine can run beyond what every engine runs; <see cref="BuildGraph"/> refuses the rest.</summary>
    EngineCapabilities Capabilities { get; }

    /// <summary>The operator of <paramref name="input"/>: the features' graph (by the options' kernel), the given graph,
    /// or both combined by <see cref="GraphInput.Combination"/>.</summary>
    /// <exception cref="InvalidParameterException">options that the input does not allow (<see cref="GraphInput.Validate(DiffusionOptions)"/>).</exception>
    /// <exception cref="EngineCapabilityException">what this engine's <see cref="Capabilities"/> do not include.</exception>
    IAffinityGraph BuildGraph(GraphInput input, DiffusionOptions options,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default);

    /// <summary>
    /// Runs the options' solver on <paramref name="graph"/> from the labels: scikit-learn's fixed-point loop, or
    /// conjugate gradients on its fixed point.
    /// </summary>
    /// <param name="classIndex">Per row, the index into classes of its label, or -1 when unlabeled.</param>
    /// <param name="start">Optional warm start for the fixed-point loop: n x <paramref name="classes"/> row-major (e.g. the
    /// previous fit's distributions, columns in this call's class order); the unlabeled rows of F start there instead of at
    /// zero, the labeled ones at their one-hot labels, and the loop, its stopping rule and n_iter are unchanged.
    /// Conjugate gradients start from zero: a start cannot change their answer.</param>
    DiffusionResult Diffuse(IAffinityGraph graph, ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default, ReadOnlySpan<double> start = default);

    /// <summary>
    /// Inductive prediction for new rows: rbf, the row-normalised K(X_new, X_train) F; knn, the row-normalised
    /// sum of the k nearest training rows' distributions. A row with no affinity left (every rbf affinity
    /// underflows) gets an all-zero row, where scikit-learn gives NaN.
    /// </summary>
    /// <exception cref="NotSupportedException">the graph was built from a graph given as input: new rows have no edges to it.</exception>
    double[] PredictProba(IAffinityGraph graph, DiffusionResult fitted, FeatureMatrix newFeatures,
        CancellationToken cancellation = default);
}

/// <summary>The argument checks every engine makes on entry to its stages.</summary>
internal static class DiffusionArguments
{
    /// <summary>
    /// The graph stage: the input's rules (<see cref="GraphInput.Validate(DiffusionOptions)"/>), the engine's capabilities, and distances
    /// right in the options' precision (<see cref="DistancePrecision.Require"/>).
    /// </summary>
    public static void CheckBuild(IDiffusionEngine engine, GraphInput input, DiffusionOptions options)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        input.Validate(options);
        engine.Capabilities.Require(engine.Description, input, options);
        DistancePrecision.Require(input, options);
    }

    public static void Check(IAffinityGraph graph, ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options, ReadOnlySpan<double> start)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(options);
        if (classIndex.Length != graph.Rows)
            throw new ArgumentException($"expected one class index per graph row ({graph.Rows}), got {classIndex.Length}", nameof(classIndex));
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), $"at least one class is needed, got {classes}");
        foreach (int index in classIndex)
            if (index < -1 || index >= classes)
                throw new ArgumentException($"class indices must be -1 (unlabeled) or in 0..{classes - 1}, got {index}", nameof(classIndex));
        if (options.Model != graph.Options.Model)
            throw new ArgumentException($"the graph was built for {graph.Options.Model} and cannot run {options.Model}", nameof(options));
        GraphInput.Validate(graph.Input, graph.Rows, options);
        if (start.IsEmpty) return;
        if (options.Model == DiffusionModel.Poisson)
            throw new ArgumentException("Poisson learning starts from zero (its stopping rule counts iterations from there): a warm start is not allowed", nameof(start));
        if (start.Length != (long)graph.Rows * classes)
            throw new ArgumentException($"the warm start must hold {graph.Rows} x {classes} values, got {start.Length}", nameof(start));
        foreach (double value in start)
            if (!(value >= 0 && double.IsFinite(value))) throw new ArgumentException($"warm-start values must be finite and non-negative, got {value}", nameof(start));
    }

    /// <summary>The check every inductive prediction makes: the new rows have the training rows' features.</summary>
    public static void CheckColumns(FeatureMatrix newFeatures, int dims)
    {
        if (newFeatures.Cols != dims)
            throw new ArgumentException($"X has {newFeatures.Cols} features, but the graph was built with {dims} features.", nameof(newFeatures));
    }

    /// <summary>What <see cref="IDiffusionEngine.PredictProba"/> throws for a graph built from a graph given as input.</summary>
    public static NotSupportedException NoInductivePrediction() =>
        new("a graph given as input has no inductive prediction: new rows have no edges to the training rows; refit with them in the graph");
}
