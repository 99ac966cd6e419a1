using System.CommandLine;

namespace GpuSpread.Runner;

/// <summary>
/// The model options shared by <c>gpuspread spread</c> and <c>gpuspread self-train</c>, with scikit-learn's
/// defaults: <c>--model</c>, <c>--kernel</c>, <c>--gamma</c>, <c>--n-neighbors</c>, <c>--alpha</c>, <c>--max-iter</c>,
/// <c>--tol</c>, <c>--engine</c>, <c>--precision</c>. (<c>gpuspread active</c> has the same names with defaults that
/// depend on its demo, so it declares its own.)
/// </summary>
public sealed class ModelCliOptions
{
    public Option<string> Model { get; } = new("--model")
    {
        Description = "spreading (LabelSpreading) or propagation (LabelPropagation).",
        DefaultValueFactory = _ => "spreading",
    };

    public Option<string> Kernel { get; } = new("--kernel")
    {
        Description = "Affinity: rbf (dense, recomputed tile by tile) or knn (k-nearest-neighbour graph).",
        DefaultValueFactory = _ => "rbf",
    };

    public Option<double> Gamma { get; } = new("--gamma")
    {
        Description = "rbf kernel width: W_ij = exp(-gamma ||x_i - x_j||^2).",
        DefaultValueFactory = _ => 20,
    };

    public Option<int> NNeighbors { get; } = new("--n-neighbors")
    {
        Description = "k of the knn kernel (the point itself counts).",
        DefaultValueFactory = _ => 7,
    };

    public Option<double> Alpha { get; } = new("--alpha")
    {
        Description = "Clamping factor of spreading, in (0, 1).",
        DefaultValueFactory = _ => 0.2,
    };

    public Option<int?> MaxIter { get; } = new("--max-iter")
    {
        Description = "Iteration limit of a fit (default 30 for spreading, 1000 for propagation).",
    };

    public Option<double> Tol { get; } = new("--tol")
    {
        Description = "Stop a fit when the L1 change of F falls below this.",
        DefaultValueFactory = _ => 1e-3,
    };

    public Option<string> Engine { get; } = new("--engine")
    {
        Description = "auto (a GPU if usable, else the CPU), cpu, gpu, gpu-sim (GPU kernels on ILGPU's CPU simulator); "
                      + "graph input, the kNN graph options and --knn-search approximate: the CPU engine only.",
        DefaultValueFactory = _ => "auto",
    };

    public Option<string> Precision { get; } = new("--precision")
    {
        Description = "float32 or float64 (bit-for-bit work).",
        DefaultValueFactory = _ => "float32",
    };

    public ModelCliOptions()
    {
        Model.AcceptOnlyFromAmong("spreading", "propagation");
        Kernel.AcceptOnlyFromAmong("rbf", "knn");
        Engine.AcceptOnlyFromAmong(EngineSelection.Names);
        Precision.AcceptOnlyFromAmong("float32", "float64");
    }

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Model, Kernel, Gamma, NNeighbors, Alpha, MaxIter, Tol, Engine, Precision })
            command.Options.Add(option);
    }

    /// <summary>The diffusion options these parse to (the engine aside), on the chosen model's defaults.</summary>
    public DiffusionOptions Read(ParseResult parsed)
    {
        var options = (parsed.GetValue(Model) == "spreading" ? DiffusionOptions.Spreading() : DiffusionOptions.Propagation()) with
        {
            Kernel = parsed.GetValue(Kernel) == "knn" ? AffinityKernel.Knn : AffinityKernel.Rbf,
            Gamma = parsed.GetValue(Gamma),
            NNeighbors = parsed.GetValue(NNeighbors),
            Alpha = parsed.GetValue(Alpha),
            Tol = parsed.GetValue(Tol),
            Precision = parsed.GetValue(Precision) == "float64" ? GpuSpread.Precision.Float64 : GpuSpread.Precision.Float32,
        };
        return parsed.GetValue(MaxIter) is { } iterations ? options with { MaxIter = iterations } : options;
    }
}
