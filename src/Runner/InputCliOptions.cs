using System.CommandLine;
using GpuSpread.Graphs;

namespace GpuSpread.Runner;

/// <summary>
/// The inputs and the output directory of <c>gpuspread spread</c> and <c>gpuspread self-train</c>: <c>--data</c>,
/// <c>--graph</c> (with <c>--graph-directed</c>, <c>--combine</c>, <c>--graph-weight</c>), <c>--labels</c>, <c>--truth</c>,
/// <c>--out</c> and <c>--output-format</c>.
/// </summary>
public sealed class InputCliOptions
{
    public Option<string?> Data { get; } = new("--data") { Description = "Features: X.csv, X.csv.gz or X.npy (n rows, d columns); --data, --graph or both." };

    public Option<string> Labels { get; } = new("--labels") { Description = "Labels: y.csv (one integer per line) or y.npy; -1 = unlabeled.", Required = true };

    public Option<string?> Truth { get; } = new("--truth")
    {
        Description = "Optional answer key (same formats as --labels, -1 where unknown): the accuracy on the rows that were unlabeled.",
    };

    public Option<string> Out { get; } = new("--out") { Description = "Output directory (created if missing).", Required = true };

    public Option<string> OutputFormat { get; } = new("--output-format")
    {
        Description = "csv (predictions.csv, distributions.csv) or npy (predictions.npy int64, distributions.npy float64 n x c, classes.npy int64).",
        DefaultValueFactory = _ => ResultFiles.Formats.Names[0],
    };

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

    public InputCliOptions()
    {
        Combine.AcceptOnlyFromAmong([.. OptionNames.Combine.Names]);
        OutputFormat.AcceptOnlyFromAmong([.. ResultFiles.Formats.Names]);
    }

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Data, Graph, Labels, Out, OutputFormat, Truth, GraphDirected, Combine, GraphWeight })
            command.Options.Add(option);
    }

    /// <summary>The format of the result files.</summary>
    public OutputFormat Format(ParseResult parsed) => ResultFiles.Formats.Parse(parsed.GetValue(OutputFormat), "output-format");

    /// <summary>Reads the files the options name, once --out is known to be usable as a directory.</summary>
    /// <exception cref="InvalidParameterException">neither --data nor --graph, or a bad --out.</exception>
    /// <exception cref="InputDataException">a file that cannot be read, or sizes that disagree.</exception>
    public InputFiles Read(ParseResult parsed)
    {
        OutputDirectory.Check(parsed.GetValue(Out)!);
        string? data = parsed.GetValue(Data), graph = parsed.GetValue(Graph);
        if (data is null && graph is null)
            throw new InvalidParameterException("data", null, $"given: {parsed.CommandResult.Command.Name} needs --data (features), --graph (an edge list) or both");
        var combination = new GraphCombination
        {
            Mode = OptionNames.Combine.Parse(parsed.GetValue(Combine), "combine"),
            GraphWeight = parsed.GetValue(GraphWeight),
        };
        return InputFiles.Read(data, graph, parsed.GetValue(GraphDirected), combination, parsed.GetValue(Labels)!, parsed.GetValue(Truth));
    }
}
