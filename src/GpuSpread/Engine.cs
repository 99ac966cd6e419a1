namespace GpuSpread;

/// <summary>What an engine runs on, for logs and summaries.</summary>
/// <param name="Name">The engine's short name: cpu, gpu, gpu-sim.</param>
/// <param name="Device">The device in words (processor and SIMD width, or GPU name and memory).</param>
public sealed record EngineDescription(string Name, string Device);

/// <summary>Progress of a long stage, reported to an <see cref="IProgress{T}"/>.</summary>
/// <param name="Stage">graph, nn-descent, degrees, iterate, predict</param>
/// <param name="Done">Units done so far in this stage (rows, or iterations).</param>
/// <param name="Total">Units in this stage (max_iter for the iteration stage, the most rounds for nn-descent).</param>
/// <param name="Change">For the iteration stage, the last L1 change; for nn-descent, the share of list entries the last round changed; NaN otherwise.</param>
public readonly record struct StageProgress(string Stage, long Done, long Total, double Change);

/// <summary>
/// The affinity stage's product: an operator that applies S (spreading) or T (propagation) to F,
/// built once for a data set and reusable across fits that change only the labels.
/// Opaque outside its engine; disposing it frees its buffers and caches.
/// </summary>
public interface IAffinityGraph : IDisposable
{
    int Rows { get; }

    /// <summary>The options the graph was built with (model, kernel, precision fix its form).</summary>
    DiffusionOptions Options { get; }

    /// <summary>How the knn kernel's neighbours were found (null: no knn graph from features).</summary>
    KnnSearchReport? KnnSearchReport { get; }
}

/// <summary>How a knn graph's neighbour lists were found.</summary>
/// <param name="Method">Exact or Approximate: what auto resolved to.</param>
/// <param name="RecallSample">Rows whose approximate lists were checked against the exact search (0 when exact).</param>
/// <param name="Recall">The mean fraction of those rows' exact k nearest that their lists hold (1 when exact).</param>
public sealed record KnnSearchReport(KnnSearchMethod Method, int RecallSample, double Recall)
{
    public static KnnSearchReport Exact { get; } = new(KnnSearchMethod.Exact, 0, 1);
}

/// <summary>The diffusion stage's result.</summary>
/// <param name="Distributions">n x c row-major, each row summing to 1 or all zero (an unreachable row).</param>
/// <param name="NIter">scikit-learn's n_iter_: completed updates, or max_iter when not converged.</param>
/// <param name="Converged">False when max_iter was reached (scikit-learn raises a ConvergenceWarning).</param>
public sealed record DiffusionResult(double[] Distributions, int Rows, int Classes, int NIter, bool Converged);

/// <summary>
/// The engine contract, implemented by the CPU engine and the GPU engine and checked for parity by one
/// test suite over both. Two stages, each testable alone: <see cref="BuildGraph"/> (affinity) and
/// <see cref="Diffuse"/> (the fixed-point loop), plus the inductive <see cref="PredictProba"/>.
/// </summary>
public interface IDiffusionEngine : IDisposable
{
    EngineDescription Description { get; }

    /// <summary>Builds the affinity operator for <paramref name="features"/> (validated options).</summary>
    IAffinityGraph BuildGraph(FeatureMatrix features, DiffusionOptions options,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default);

    /// <summary>
    /// Runs scikit-learn's fixed-point loop on <paramref name="graph"/> from the labels.
    /// </summary>
    /// <param name="classIndex">Per row, the index into classes of its label, or -1 when unlabeled.</param>
    DiffusionResult Diffuse(IAffinityGraph graph, ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options,
        IProgress<StageProgress>? progress = null, CancellationToken cancellation = default);

    /// <summary>Whether <see cref="DiffuseFrom"/> (a warm start) is implemented.</summary>
    bool SupportsWarmStart => false;

    /// <summary>
    /// <see cref="Diffuse"/> with a warm start: the unlabeled rows of F start at the rows of <paramref name="start"/>
    /// (n x <paramref name="classes"/> row-major, e.g. the previous fit's distributions, columns in this call's class
    /// order) instead of zero; labeled rows start at their one-hot labels, and the loop, its stopping rule and
    /// n_iter are <see cref="Diffuse"/>'s. Active learning uses it between rounds. Engines without it throw
    /// <see cref="NotSupportedException"/> (this default) and say so in <see cref="SupportsWarmStart"/>.
    /// </summary>
    DiffusionResult DiffuseFrom(IAffinityGraph graph, ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options,
        ReadOnlySpan<double> start, IProgress<StageProgress>? progress = null, CancellationToken cancellation = default)
        => throw new NotSupportedException($"the {Description.Name} engine has no warm start (DiffuseFrom)");

    /// <summary>
    /// Inductive prediction for new rows: rbf, the row-normalised K(X_new, X_train) F; knn, the
    /// row-normalised sum of the k nearest training rows' distributions. A row with no affinity left
    /// (every rbf affinity underflows) gets an all-zero row, where scikit-learn gives NaN.
    /// </summary>
    double[] PredictProba(IAffinityGraph graph, DiffusionResult fitted, FeatureMatrix newFeatures,
        CancellationToken cancellation = default);
}

/// <summary>Argument checks every engine's <see cref="IDiffusionEngine.Diffuse"/> makes against its graph.</summary>
public static class DiffusionArguments
{
    public static void Check(IAffinityGraph graph, ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options)
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
        options.Validate(graph.Rows);
    }
}
