using System.Text.Json;

namespace GpuSpread.Interop;

/// <summary>
/// The options of one fit as the Python package sends them: a flat JSON object whose names are the estimators'
/// parameter names (scikit-learn's, then GpuSpread's: engine, knn_search, solver, precision, memory_limit, knn_graph,
/// knn_self_loops, knn_weights, float64_underflow_cut, class_priors) and whose enum values are <see cref="OptionNames"/>' spellings.
/// A name this side does not know is an error, so that the two sides cannot drift apart silently.
/// </summary>
internal sealed record FitRequest(string Engine, DiffusionOptions Options)
{
    /// <exception cref="InvalidParameterException">a value outside what is allowed, naming the parameter.</exception>
    /// <exception cref="ArgumentException">malformed JSON or an unknown name (a mismatch with the Python package).</exception>
    public static FitRequest Parse(ReadOnlySpan<byte> json)
    {
        using var document = JsonDocument.Parse(json.ToArray());
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new ArgumentException("the options must be a JSON object");
        var model = OptionNames.Model.Parse(String(root, "model"), "model");
        var options = DiffusionOptions.Defaults(model);
        string engine = "auto";
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            options = property.Name switch
            {
                "model" => options,
                "engine" => options,
                "kernel" => options with { Kernel = OptionNames.Kernel.Parse(Text(value, "kernel"), "kernel") },
                "gamma" => options with { Gamma = Number(value, "gamma") },
                "n_neighbors" => options with { NNeighbors = Integer(value, "n_neighbors") },
                "alpha" => value.ValueKind == JsonValueKind.Null ? options : options with { Alpha = Number(value, "alpha") },
                "max_iter" => options with { MaxIter = Integer(value, "max_iter") },
                "tol" => options with { Tol = Number(value, "tol") },
                "precision" => options with { Precision = OptionNames.Precision.Parse(Text(value, "precision"), "precision") },
                "solver" => options with { Solver = OptionNames.Solver.Parse(Text(value, "solver"), "solver") },
                "memory_limit" => options with { MemoryLimitBytes = value.ValueKind == JsonValueKind.Null ? null : Long(value, "memory_limit") },
                "float64_underflow_cut" => options with { Float64UnderflowCut = Boolean(value, "float64_underflow_cut") },
                "knn_graph" => options with { KnnGraph = OptionNames.KnnGraph.Parse(Text(value, "knn_graph"), "knn_graph") },
                "knn_self_loops" => options with { KnnSelfLoops = OptionNames.KnnSelfLoops.Parse(Text(value, "knn_self_loops"), "knn_self_loops") },
                "knn_weights" => options with { KnnWeights = OptionNames.KnnWeights.Parse(Text(value, "knn_weights"), "knn_weights") },
                "knn_search" => options with { KnnSearch = OptionNames.KnnSearch.Parse(Text(value, "knn_search"), "knn_search") },
                "class_priors" => options with { ClassPriors = Priors(value) },
                _ => throw new ArgumentException($"unknown option '{property.Name}': the Python package and GpuSpread.Interop.dll do not match; reinstall the package"),
            };
            if (property.Name == "engine") engine = Text(value, "engine");
        }
        return new FitRequest(engine, options);
    }

    /// <summary>null, "uniform", or an object of class index ("0", "1", ...) to weight: the package maps its labels to indices.</summary>
    private static ClassPriors? Priors(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.String && value.GetString() == "uniform") return ClassPriors.Uniform;
        if (value.ValueKind != JsonValueKind.Object) throw new InvalidParameterException("class_priors", value.ToString(), "None, 'uniform' or a dict of class to weight");
        var weights = new Dictionary<long, double>();
        foreach (var entry in value.EnumerateObject())
            weights[long.Parse(entry.Name, System.Globalization.CultureInfo.InvariantCulture)] = Number(entry.Value, "class_priors");
        return ClassPriors.FromWeights(weights);
    }

    private static string String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) ? Text(value, name) : throw new ArgumentException($"the options lack '{name}'");

    private static string Text(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new InvalidParameterException(name, value.ToString(), "a string");

    private static double Number(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw new InvalidParameterException(name, value.ToString(), "a number");

    private static int Integer(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int result) ? result
            : throw new InvalidParameterException(name, value.ToString(), $"an int from {int.MinValue} to {int.MaxValue}");

    private static long Long(JsonElement value, string name) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long result) ? result
            : throw new InvalidParameterException(name, value.ToString(), "an int (bytes)");

    private static bool Boolean(JsonElement value, string name) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new InvalidParameterException(name, value.ToString(), "true or false"),
    };
}
