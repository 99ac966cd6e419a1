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
    /// <summary>The search the knn kernel runs: auto is exact on an engine without the approximate search, and stays auto on
    /// one with it, whose cost model then chooses from the data (the CPU engine's: exact while each row would be compared with
    /// fewer than about 100,000 rows after its bounds prune, bench/RESULTS.md).</summary>
    public KnnSearchMethod KnnSearchFor(DiffusionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.KnnSearch == KnnSearchMethod.Auto && !ApproximateKnnSearch ? KnnSearchMethod.Exact : options.KnnSearch;
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
