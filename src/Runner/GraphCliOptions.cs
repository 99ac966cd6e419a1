using System.CommandLine;

namespace GpuSpread.Runner;

/// <summary>
/// The graph-input and kNN-graph options shared by <c>gpuspread spread</c> and <c>gpuspread self-train</c>:
/// <c>--graph</c>, <c>--graph-directed</c>, <c>--combine</c>, <c>--graph-weight</c>, <c>--knn-graph</c>,
/// <c>--knn-self-loops</c>, <c>--knn-weights</c>, <c>--knn-search</c>. Defaults are scikit-learn's (the search: exact below
/// <see cref="DiffusionOptions.ApproximateKnnRows"/> rows).
/// </summary>
public sealed class GraphCliOptions
{
    public Option<string?> Graph { get; } = new("--graph")
    {
        Description = "A graph as input: an edge list source,target[,weight] (0-based row indices, optional header; duplicates summed, self-loops dropped, symmetrised), instead of or besides --data.",
    };

    public Option<bool> GraphDirected { get; } = new("--graph-directed")
    {
        Description = "Keep the edge list's directions (default: symmetrise as max(W, W^T)).",
    };

    public Option<string> Combine { get; } = new("--combine")
    {
        Description = "With --data and --graph: operators ((1-mu) S_features + mu S_graph, the default) or weights ((1-mu) W_knn + mu W_graph, knn kernel only).",
        DefaultValueFactory = _ => "operators",
    };

    public Option<double> GraphWeight { get; } = new("--graph-weight")
    {
        Description = "mu: the graph's share when combined with the features, in [0, 1].",
        DefaultValueFactory = _ => 0.5,
    };

    public Option<string> KnnGraph { get; } = new("--knn-graph")
    {
        Description = "knn kernel: directed (scikit-learn's, the default), union (i~j when either is a neighbour of the other) or mutual (when both are).",
        DefaultValueFactory = _ => "directed",
    };

    public Option<string> KnnSelfLoops { get; } = new("--knn-self-loops")
    {
        Description = "knn kernel: include (the point is one of its own k neighbours, scikit-learn's default) or drop (k other points).",
        DefaultValueFactory = _ => "include",
    };

    public Option<string> KnnWeights { get; } = new("--knn-weights")
    {
        Description = "knn kernel: connectivity (1 per edge, scikit-learn's default) or rbf (exp(-gamma ||x_i - x_j||^2) on the kNN edges).",
        DefaultValueFactory = _ => "connectivity",
    };

    public Option<string> KnnSearch { get; } = CreateKnnSearch();

    /// <summary>--knn-search, also taken by commands without the other graph options (active).</summary>
    public static Option<string> CreateKnnSearch()
    {
        var option = new Option<string>("--knn-search")
        {
            Description = $"knn kernel: exact (brute force), approximate (NN-descent, CPU engine; its recall on 1,000 sampled rows is reported) or auto (exact below {DiffusionOptions.ApproximateKnnRows:N0} rows, approximate from there on the CPU engine; exact on a GPU).",
            DefaultValueFactory = _ => "auto",
        };
        option.AcceptOnlyFromAmong("auto", "exact", "approximate");
        return option;
    }

    public GraphCliOptions()
    {
        Combine.AcceptOnlyFromAmong("operators", "weights");
        KnnGraph.AcceptOnlyFromAmong("directed", "union", "mutual");
        KnnSelfLoops.AcceptOnlyFromAmong("include", "drop");
        KnnWeights.AcceptOnlyFromAmong("connectivity", "rbf");
    }

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Graph, GraphDirected, Combine, GraphWeight, KnnGraph, KnnSelfLoops, KnnWeights, KnnSearch })
            command.Options.Add(option);
    }

    /// <summary><paramref name="options"/> with the kNN graph options parsed.</summary>
    public DiffusionOptions WithKnnOptions(ParseResult parsed, DiffusionOptions options) => options with
    {
        KnnGraph = parsed.GetValue(KnnGraph) switch { "union" => KnnGraphKind.Union, "mutual" => KnnGraphKind.Mutual, _ => KnnGraphKind.Directed },
        KnnSelfLoops = parsed.GetValue(KnnSelfLoops) == "drop" ? GpuSpread.KnnSelfLoops.Drop : GpuSpread.KnnSelfLoops.Include,
        KnnWeights = parsed.GetValue(KnnWeights) == "rbf" ? GpuSpread.KnnWeights.Rbf : GpuSpread.KnnWeights.Connectivity,
        KnnSearch = parsed.GetValue(KnnSearch) switch { "exact" => KnnSearchMethod.Exact, "approximate" => KnnSearchMethod.Approximate, _ => KnnSearchMethod.Auto },
    };

    public Graphs.GraphCombination Combination(ParseResult parsed) => new()
    {
        Mode = parsed.GetValue(Combine) == "weights" ? Graphs.CombinationMode.Weights : Graphs.CombinationMode.Operators,
        GraphWeight = parsed.GetValue(GraphWeight),
    };
}
