using GpuSpread.Graphs;

namespace GpuSpread;

/// <summary>
/// The names an enum's values have outside the code (on the command line, in summary.json, journals and reports, in
/// error messages), both ways: one table per enum, so that a value is spelled the same wherever it is read or written.
/// </summary>
public sealed class NameTable<T> where T : struct, Enum
{
    private readonly (T Value, string Name)[] _entries;

    public NameTable(params (T Value, string Name)[] entries)
    {
        if (entries.Length != Enum.GetValues<T>().Length || entries.DistinctBy(e => e.Value).Count() != entries.Length)
            throw new ArgumentException($"a name table for {typeof(T).Name} needs one name for each of its values", nameof(entries));
        _entries = entries;
    }

    /// <summary>Every name, in the table's order (the first is the default where there is one).</summary>
    public IReadOnlyList<string> Names => Array.ConvertAll(_entries, e => e.Name);

    /// <summary>"'a', 'b' or 'c'": what a message says is allowed.</summary>
    public string Allowed
    {
        get
        {
            var quoted = Array.ConvertAll(_entries, e => $"'{e.Name}'");
            return quoted.Length == 1 ? quoted[0] : $"{string.Join(", ", quoted[..^1])} or {quoted[^1]}";
        }
    }

    public string this[T value]
    {
        get
        {
            foreach (var (entry, name) in _entries)
                if (EqualityComparer<T>.Default.Equals(entry, value)) return name;
            throw new ArgumentOutOfRangeException(nameof(value), $"{value} is not a {typeof(T).Name}");
        }
    }

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
    public static NameTable<DiffusionModel> Model { get; } = new((DiffusionModel.Spreading, "spreading"), (DiffusionModel.Propagation, "propagation"),
        (DiffusionModel.Poisson, "poisson"));
    public static NameTable<AffinityKernel> Kernel { get; } = new((AffinityKernel.Rbf, "rbf"), (AffinityKernel.Knn, "knn"));
    public static NameTable<Precision> Precision { get; } = new((GpuSpread.Precision.Float32, "float32"), (GpuSpread.Precision.Float64, "float64"));
    public static NameTable<Solver> Solver { get; } = new((GpuSpread.Solver.FixedPoint, "fixed-point"), (GpuSpread.Solver.ConjugateGradient, "cg"));

    public static NameTable<KnnGraphKind> KnnGraph { get; } =
        new((KnnGraphKind.Directed, "directed"), (KnnGraphKind.Union, "union"), (KnnGraphKind.Mutual, "mutual"));

    public static NameTable<KnnSelfLoops> KnnSelfLoops { get; } = new((GpuSpread.KnnSelfLoops.Include, "include"), (GpuSpread.KnnSelfLoops.Drop, "drop"));
    public static NameTable<KnnWeights> KnnWeights { get; } = new((GpuSpread.KnnWeights.Connectivity, "connectivity"), (GpuSpread.KnnWeights.Rbf, "rbf"));

    public static NameTable<KnnSearchMethod> KnnSearch { get; } =
        new((KnnSearchMethod.Auto, "auto"), (KnnSearchMethod.Exact, "exact"), (KnnSearchMethod.Approximate, "approximate"));

    public static NameTable<CombinationMode> Combine { get; } = new((CombinationMode.Operators, "operators"), (CombinationMode.Weights, "weights"));

    public static NameTable<GraphInputKind> Input { get; } =
        new((GraphInputKind.Features, "features"), (GraphInputKind.Graph, "graph"), (GraphInputKind.FeaturesAndGraph, "features+graph"));
}
