using GpuSpread.Graphs;
using GpuSpread.IO;

namespace GpuSpread.Runner;

/// <summary>What <c>spread</c> and <c>self-train</c> read: features and/or a graph, labels and an optional answer key.</summary>
/// <param name="GraphPath">The edge list's path as given (null without one).</param>
/// <param name="GraphStats">What the edge-list reader saw (null without one).</param>
public sealed record InputFiles(GraphInput Input, string? GraphPath, EdgeListStats? GraphStats, long[] Labels, long[]? Truth)
{
    /// <summary>The features' path as given (null without features).</summary>
    public string? DataPath { get; init; }

    public int Rows => Labels.Length;

    /// <summary>Reads the inputs; the labels give the node count that the graph's indices must respect.</summary>
    /// <exception cref="InputDataException">a file that cannot be read, or sizes that disagree.</exception>
    public static InputFiles Read(string? dataPath, string? graphPath, bool graphDirected, GraphCombination combination, string labelsPath,
        string? truthPath)
    {
        var labels = ReadLabels(labelsPath);
        FeatureMatrix? features = null;
        if (dataPath is not null)
        {
            features = FeatureReader.Read(dataPath);
            if (labels.Length != features.Rows)
                throw new InputDataException($"{labelsPath}: {labels.Length} labels for {features.Rows} feature rows in {dataPath}; there must be one label per row");
        }
        SparseGraph? graph = null;
        EdgeListStats? stats = null;
        if (graphPath is not null)
            (graph, stats) = EdgeListReader.Read(graphPath, labels.Length, symmetrise: !graphDirected, nodesSource: $"the labels ({labelsPath})");
        long[]? truth = null;
        if (truthPath is not null)
        {
            truth = ReadLabels(truthPath);
            if (truth.Length != labels.Length)
                throw new InputDataException($"{truthPath}: {truth.Length} answers for {labels.Length} labels in {labelsPath}; there must be one answer per row");
        }
        return new InputFiles(GraphInput.Of(features, graph, combination), graphPath, stats, labels, truth) { DataPath = dataPath };
    }

    /// <summary>
    /// With the graph as the only input, the unlabeled rows that no label can reach because they have no neighbour in it
    /// (null when there are none). summary.json counts all the rows without an edge: graph_isolated_nodes.
    /// </summary>
    public string? UnreachableRowsWarning()
    {
        if (Input.Kind != GraphInputKind.Graph || Input.Graph is not { } graph) return null;
        int count = 0;
        for (int i = 0; i < Rows; i++)
            if (Labels[i] == LabelEncoding.Unlabeled && graph.Neighbours(i).IsEmpty) count++;
        if (count == 0) return null;
        string rows = count == 1 ? "1 unlabeled row has" : $"{count} unlabeled rows have";
        return $"{GraphPath}: {rows} no neighbour in the graph, so no label can reach {(count == 1 ? "it" : "them")} " +
            "(all-zero distribution, predicted as the first class)";
    }

    public static long[] ReadLabels(string path) => Array.ConvertAll(LabelReader.Read(path), l => (long)l);
}
