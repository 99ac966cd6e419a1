namespace GpuSpread;

/// <summary>
/// What an engine can run beyond what every engine runs (both models on features, a graph given as input, or both;
/// every kNN graph option; the fixed-point loop and conjugate gradients; warm starts; inductive prediction).
/// The estimator and the command line ask it before they run anything: "not on this engine" is decided here only.
/// </summary>
/// <param name="ApproximateKnnSearch">NN-descent for the knn kernel (<see cref="KnnSearchMethod.Approximate"/>); an engine
/// without it searches exactly, <see cref="KnnSearchMethod.Auto"/> included.</param>
public sealed record EngineCapabilities(bool ApproximateKnnSearch)
{
    /// <summary>The search the knn kernel runs for <paramref name="rows"/> rows: auto is approximate from
    /// <see cref="DiffusionOptions.ApproximateKnnRows"/> rows where the engine has the approximate search, exact otherwise.</summary>
    public KnnSearchMethod KnnSearchFor(DiffusionOptions options, int rows)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.KnnSearch != KnnSearchMethod.Auto ? options.KnnSearch
            : ApproximateKnnSearch && rows >= DiffusionOptions.ApproximateKnnRows ? KnnSearchMethod.Approximate : KnnSearchMethod.Exact;
    }

    /// <summary>What in <paramref name="input"/> and <paramref name="options"/> an engine with these capabilities cannot run,
    /// in words (with the option that asks for it); null when it can run all of it.</summary>
    public string? Unsupported(GraphInput input, DiffusionOptions options)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        if (!ApproximateKnnSearch && input.Features is not null && options.Kernel == AffinityKernel.Knn && options.KnnSearch == KnnSearchMethod.Approximate)
            return "the approximate kNN search (knn_search='approximate', NN-descent)";
        return null;
    }

    /// <exception cref="EngineCapabilityException">naming the engine and what it cannot run.</exception>
    public void Require(EngineDescription engine, GraphInput input, DiffusionOptions options)
    {
        ArgumentNullException.ThrowIfNull(engine);
        if (Unsupported(input, options) is { } what)
            throw new EngineCapabilityException($"the {engine.Name} engine cannot run {what}; the cpu engine can");
    }
}

/// <summary>Something asked of an engine that its <see cref="EngineCapabilities"/> do not include.</summary>
public sealed class EngineCapabilityException(string message) : NotSupportedException(message);
