using GpuSpread.Graphs;

namespace GpuSpread;

/// <summary>
/// The names an enum's values have outside the code (on the command line, in summary.json, journals and reports, in
/// error messages), both ways: one table per enum, so that a value is spelled the same wherever it is read or written.
/// </summary>
public sealed class NameTable<T> where T : struct, Enum
{
    private readonly (T Value, string Name)[] _entries;
    private readonly IReadOnlyList<string> _names;

    /// <summary>One name per value of <typeparamref name="T"/>, the default first where there is one.</summary>
    /// <exception cref="ArgumentException">a value without a name, or with two.</exception>
    public NameTable(params (T Value, string Name)[] entries)
    {
        // Plain loops: LINQ over the entries would be compiled anew for each enum at start-up.
        bool distinct = true;
        for (int i = 1; i < entries.Length && distinct; i++)
            for (int j = 0; j < i && distinct; j++) distinct = !EqualityComparer<T>.Default.Equals(entries[i].Value, entries[j].Value);
        if (!distinct || entries.Length != Enum.GetValuesAsUnderlyingType(typeof(T)).Length)
            throw new ArgumentException($"a name table for {typeof(T).Name} needs one name for each of its values", nameof(entries));
        _entries = entries;
        var names = new string[entries.Length];
        for (int i = 0; i < names.Length; i++) names[i] = entries[i].Name;
        _names = Array.AsReadOnly(names);
    }

    /// <summary>Every name, in the table's order (the first is the default where there is one).</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>"'a', 'b' or 'c'": what a message says is allowed.</summary>
    public string Allowed
    {
        get
        {
            var quoted = _names.Select(name => $"'{name}'").ToArray();
            return quoted.Length == 1 ? quoted[0] : $"{string.Join(", ", quoted[..^1])} or {quoted[^1]}";
        }
    }

    /// <summary>The name of <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">a value that is not one of the enum's.</exception>
    public string this[T value]
    {
        get
        {
            foreach (var (entry, name) in _entries)
                if (EqualityComparer<T>.Default.Equals(entry, value)) return name;
            throw new ArgumentOutOfRangeException(nameof(value), $"{value} is not a {typeof(T).Name}");
        }
    }

    /// <summary>The value named <paramref name="name"/> (case-sensitive); false for any other name.</summary>
    public bool TryParse(string? name, out T value)
    {
        foreach (var (entry, entryName) in _entries)
            if (string.Equals(entryName, name, StringComparison.Ordinal))
            {
                value = entry;
                return true;
            }
        value = default;
        return false;
    }

    /// <exception cref="InvalidParameterException">naming <paramref name="parameter"/>, the value and the allowed names.</exception>
    public T Parse(string? name, string parameter) =>
        TryParse(name, out var value) ? value : throw new InvalidParameterException(parameter, name, Allowed);
}

/// <summary>The name tables of the options' enums.</summary>
public static class OptionNames
{
    /// <summary><c>--model</c>: spreading, propagation, poisson.</summary>
    public static NameTable<DiffusionModel> Model { get; } = new((DiffusionModel.Spreading, "spreading"), (DiffusionModel.Propagation, "propagation"),
        (DiffusionModel.Poisson, "poisson"));
    /// <summary><c>--kernel</c>: rbf, knn.</summary>
    public static NameTable<AffinityKernel> Kernel { get; } = new((AffinityKernel.Rbf, "rbf"), (AffinityKernel.Knn, "knn"));
    /// <summary><c>--precision</c>: float32, float64.</summary>
    public static NameTable<Precision> Precision { get; } = new((GpuSpread.Precision.Float32, "float32"), (GpuSpread.Precision.Float64, "float64"));
    /// <summary><c>--solver</c>: fixed-point, cg.</summary>
    public static NameTable<Solver> Solver { get; } = new((GpuSpread.Solver.FixedPoint, "fixed-point"), (GpuSpread.Solver.ConjugateGradient, "cg"));

    /// <summary><c>--knn-graph</c>: directed, union, mutual.</summary>
    public static NameTable<KnnGraphKind> KnnGraph { get; } =
        new((KnnGraphKind.Directed, "directed"), (KnnGraphKind.Union, "union"), (KnnGraphKind.Mutual, "mutual"));

    /// <summary><c>--knn-self-loops</c>: include, drop.</summary>
    public static NameTable<KnnSelfLoops> KnnSelfLoops { get; } = new((GpuSpread.KnnSelfLoops.Include, "include"), (GpuSpread.KnnSelfLoops.Drop, "drop"));
    /// <summary><c>--knn-weights</c>: connectivity, rbf.</summary>
    public static NameTable<KnnWeights> KnnWeights { get; } = new((GpuSpread.KnnWeights.Connectivity, "connectivity"), (GpuSpread.KnnWeights.Rbf, "rbf"));

    /// <summary><c>--knn-search</c>: auto, exact, approximate.</summary>
    public static NameTable<KnnSearchMethod> KnnSearch { get; } =
        new((KnnSearchMethod.Auto, "auto"), (KnnSearchMethod.Exact, "exact"), (KnnSearchMethod.Approximate, "approximate"));

    /// <summary><c>--combine</c>: operators, weights.</summary>
    public static NameTable<CombinationMode> Combine { get; } = new((CombinationMode.Operators, "operators"), (CombinationMode.Weights, "weights"));

    /// <summary>summary.json's <c>input</c>: features, graph, features+graph.</summary>
    public static NameTable<GraphInputKind> Input { get; } =
        new((GraphInputKind.Features, "features"), (GraphInputKind.Graph, "graph"), (GraphInputKind.FeaturesAndGraph, "features+graph"));
}
