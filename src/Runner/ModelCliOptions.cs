using System.CommandLine;

namespace GpuSpread.Runner;

/// <summary>
/// The model options of every command that fits (<c>spread</c>, <c>self-train</c>, <c>active</c>), declared once with
/// scikit-learn's defaults and the names of <see cref="OptionNames"/>: the model and its kernel, the kNN graph and its
/// search, the solver, the precision, the memory limit and the engine. <see cref="Read"/> applies the options given on
/// the command line to a baseline (a command's own defaults, such as the digits demo's).
/// </summary>
public sealed class ModelCliOptions
{
    public Option<string> Model { get; } = Choice("--model", OptionNames.Model,
        "spreading (LabelSpreading), propagation (LabelPropagation) or poisson (Poisson learning, for very few labels).");

    public Option<string?> ClassPriors { get; } = new("--class-priors")
    {
        Description = "poisson: the class-mass correction, 'uniform' or a file of 'label,weight' lines (default: none).",
    };

    public Option<string> Kernel { get; } = Choice("--kernel", OptionNames.Kernel,
        "Affinity: rbf (dense, recomputed tile by tile) or knn (k-nearest-neighbour graph).");

    public Option<double> Gamma { get; } = new("--gamma")
    {
        Description = "rbf kernel width: W_ij = exp(-gamma ||x_i - x_j||^2) (also the knn kernel's rbf weights).",
        DefaultValueFactory = _ => DiffusionOptions.Spreading().Gamma,
    };

    public Option<int> NNeighbors { get; } = new("--n-neighbors")
    {
        Description = "k of the knn kernel (the point itself counts unless --knn-self-loops drop).",
        DefaultValueFactory = _ => DiffusionOptions.Spreading().NNeighbors,
    };

    public Option<double> Alpha { get; } = new("--alpha")
    {
        Description = "Clamping factor of spreading, in (0, 1).",
        DefaultValueFactory = _ => DiffusionOptions.Spreading().Alpha,
    };

    public Option<int?> MaxIter { get; } = new("--max-iter")
    {
        Description = $"Iteration limit of a fit (default {DiffusionOptions.Spreading().MaxIter} for spreading, {DiffusionOptions.Propagation().MaxIter} for propagation, {DiffusionOptions.Poisson().MaxIter} for poisson).",
    };

    public Option<double> Tol { get; } = new("--tol")
    {
        Description = "Stop a fit when the L1 change of F falls below this (with --solver cg: the relative residual).",
        DefaultValueFactory = _ => DiffusionOptions.Spreading().Tol,
    };

    public Option<string> Solver { get; } = Choice("--solver", OptionNames.Solver,
        "fixed-point (scikit-learn's loop) or cg (conjugate gradients on the same fixed point; rbf only; --tol is then the relative residual).");

    public Option<string> Precision { get; } = Choice("--precision", OptionNames.Precision, "float32 or float64 (bit-for-bit work).");

    public Option<string?> MemoryLimit { get; } = new("--memory-limit")
    {
        Description = "Memory the engine may use, e.g. 1GiB or 512MiB (default: half of the available memory, spent on caching rbf weights).",
    };

    public Option<bool> NoUnderflowCut { get; } = new("--no-underflow-cut")
    {
        Description = "Keep rbf affinities beyond float64's underflow (scikit-learn drops them), so every point keeps its nearest neighbours.",
    };

    public Option<string> KnnGraph { get; } = Choice("--knn-graph", OptionNames.KnnGraph,
        "knn kernel: directed (scikit-learn's), union (i~j when either is a neighbour of the other) or mutual (when both are).");

    public Option<string> KnnSelfLoops { get; } = Choice("--knn-self-loops", OptionNames.KnnSelfLoops,
        "knn kernel: include (the point is one of its own k neighbours, scikit-learn's) or drop (k other points).");

    public Option<string> KnnWeights { get; } = Choice("--knn-weights", OptionNames.KnnWeights,
        "knn kernel: connectivity (1 per edge, scikit-learn's) or rbf (exp(-gamma ||x_i - x_j||^2) on the kNN edges).");

    public Option<string> KnnSearch { get; } = Choice("--knn-search", OptionNames.KnnSearch,
        "knn kernel: exact (brute force), approximate (NN-descent, CPU engine; its recall on 1,000 sampled rows is reported) or auto (the cheaper by a cost model in the rows, the features and how much the exact search would prune; exact on engines without NN-descent).");

    public Option<string> Engine { get; } = new("--engine")
    {
        Description = "auto (a GPU if usable and able to run the job, else the CPU), cpu, gpu, gpu-sim (the GPU kernels on ILGPU's CPU simulator; slow).",
        DefaultValueFactory = _ => EngineSelection.Names[0],
    };

    public ModelCliOptions() => Engine.AcceptOnlyFromAmong(EngineSelection.Names);

    /// <summary>An option whose values are a name table's, the first being the default.</summary>
    private static Option<string> Choice<T>(string name, NameTable<T> names, string description) where T : struct, Enum
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => names.Names[0] };
        option.AcceptOnlyFromAmong([.. names.Names]);
        return option;
    }

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[]
                 {
                     Model, ClassPriors, Kernel, Gamma, NNeighbors, Alpha, MaxIter, Tol, Solver, Precision, MemoryLimit, NoUnderflowCut,
                     KnnGraph, KnnSelfLoops, KnnWeights, KnnSearch, Engine,
                 })
            command.Options.Add(option);
    }

    /// <summary>
    /// The options given on the command line applied to the defaults of the chosen model: <paramref name="defaults"/>
    /// (a command's own, such as the digits demo's), by default scikit-learn's. Options left out keep the defaults.
    /// </summary>
    /// <exception cref="InvalidParameterException">a memory limit that is not a size.</exception>
    public DiffusionOptions Read(ParseResult parsed, Func<DiffusionModel, DiffusionOptions>? defaults = null)
    {
        var model = OptionNames.Model.Parse(parsed.GetValue(Model), "model");
        var options = defaults?.Invoke(model) ?? ScikitLearnDefaults(model);
        if (Given(parsed, Kernel) is { } kernel) options = options with { Kernel = OptionNames.Kernel.Parse(kernel, "kernel") };
        if (IsGiven(parsed, Gamma)) options = options with { Gamma = parsed.GetValue(Gamma) };
        if (IsGiven(parsed, NNeighbors)) options = options with { NNeighbors = parsed.GetValue(NNeighbors) };
        if (IsGiven(parsed, Alpha)) options = options with { Alpha = parsed.GetValue(Alpha) };
        if (parsed.GetValue(MaxIter) is { } maxIter) options = options with { MaxIter = maxIter };
        if (IsGiven(parsed, Tol)) options = options with { Tol = parsed.GetValue(Tol) };
        if (Given(parsed, Solver) is { } solver) options = options with { Solver = OptionNames.Solver.Parse(solver, "solver") };
        if (Given(parsed, Precision) is { } precision) options = options with { Precision = OptionNames.Precision.Parse(precision, "precision") };
        if (parsed.GetValue(MemoryLimit) is { } limit)
            options = options with
            {
                MemoryLimitBytes = Cli.TryParseBytes(limit, out long bytes) ? bytes
                    : throw new InvalidParameterException("memory_limit", limit,
                        "a size such as 1GiB, 512MiB or 2TB (units KB to TB, KiB to TiB), or a number of bytes, from 1 to 2^63 - 1 bytes"),
            };
        if (parsed.GetValue(NoUnderflowCut)) options = options with { Float64UnderflowCut = false };
        if (Given(parsed, KnnGraph) is { } graph) options = options with { KnnGraph = OptionNames.KnnGraph.Parse(graph, "knn_graph") };
        if (Given(parsed, KnnSelfLoops) is { } self) options = options with { KnnSelfLoops = OptionNames.KnnSelfLoops.Parse(self, "knn_self_loops") };
        if (Given(parsed, KnnWeights) is { } weights) options = options with { KnnWeights = OptionNames.KnnWeights.Parse(weights, "knn_weights") };
        if (Given(parsed, KnnSearch) is { } search) options = options with { KnnSearch = OptionNames.KnnSearch.Parse(search, "knn_search") };
        if (parsed.GetValue(ClassPriors) is { } priors) options = options with { ClassPriors = IO.ClassPriorsReader.Read(priors) };
        return options;
    }

    /// <summary>scikit-learn's defaults for <paramref name="model"/> (GraphLearning's for Poisson learning).</summary>
    public static DiffusionOptions ScikitLearnDefaults(DiffusionModel model) => DiffusionOptions.Defaults(model);

    private static bool IsGiven(ParseResult parsed, Option option) => parsed.GetResult(option) is { Implicit: false };

    private static string? Given(ParseResult parsed, Option<string> option) => IsGiven(parsed, option) ? parsed.GetValue(option) : null;
}
