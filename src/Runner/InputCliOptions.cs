using System.CommandLine;
using GpuSpread.Graphs;

namespace GpuSpread.Runner;

/// <summary>
/// The graph-input options of <c>gpuspread spread</c> and <c>gpuspread self-train</c>: <c>--graph</c>,
/// <c>--graph-directed</c>, <c>--combine</c>, <c>--graph-weight</c>.
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
        DefaultValueFactory = _ => OptionNames.Combine.Names[0],
    };

    public Option<double> GraphWeight { get; } = new("--graph-weight")
    {
        Description = "mu: the graph's share when combined with the features, in [0, 1].",
        DefaultValueFactory = _ => new GraphCombination().GraphWeight,
    };

    public GraphCliOptions() => Combine.AcceptOnlyFromAmong([.. OptionNames.Combine.Names]);

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Graph, GraphDirected, Combine, GraphWeight })
            command.Options.Add(option);
    }

    public GraphCombination Combination(ParseResult parsed) => new()
    {
        Mode = OptionNames.Combine.Parse(parsed.GetValue(Combine), "combine"),
        GraphWeight = parsed.GetValue(GraphWeight),
    };
}
