using System.Globalization;
using GpuSpread.IO;

namespace GpuSpread.Graphs;

/// <summary>What reading an edge list found, for logs and summaries.</summary>
/// <param name="Lines">Edge lines read.</param>
/// <param name="SelfLoops">Lines with source = target (dropped).</param>
/// <param name="ZeroWeight">Lines with weight 0 (dropped).</param>
/// <param name="Weighted">Whether the file has a weight column.</param>
public sealed record EdgeListStats(int Lines, int SelfLoops, int ZeroWeight, bool Weighted);

/// <summary>
/// Reads a graph as an edge list: one edge per line, <c>source,target</c> or <c>source,target,weight</c>
/// (comma-separated, or whitespace-separated when the first line has no comma), 0-based node indices,
/// weights finite and non-negative (1 when absent). An optional header line (its first cell not a number),
/// blank lines and comment lines starting with '#' are skipped; a comment <c># nodes N</c> declares the node
/// count, which must then equal the one given (the labels'). <c>.csv.gz</c>/<c>.txt.gz</c> are read through gzip.
/// Duplicates are summed, self-loops dropped and the graph symmetrised (see <see cref="SparseGraph.FromEdges"/>).
/// Every problem is an <see cref="InputDataException"/> naming the file and the line; so is a file left without
/// an edge between two different nodes.
/// </summary>
public static class EdgeListReader
{
    /// <param name="nodes">The node count, from the labels: every index must be below it.</param>
    /// <param name="nodesSource">Where <paramref name="nodes"/> comes from, for messages (e.g. the labels' path).</param>
    public static (SparseGraph Graph, EdgeListStats Stats) Read(string path, int nodes, bool symmetrise = true, string? nodesSource = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (nodes < 1) throw new ArgumentOutOfRangeException(nameof(nodes), $"a graph needs at least one node, got {nodes}");
        nodesSource ??= "the labels";
        bool gzip = InputFile.HasExtension(path, ".gz");
        using var lines = new TextLines(path, gzip);
        var sources = new List<int>();
        var targets = new List<int>();
        var weights = new List<double>();
        int cells = 0, shapeLine = 0, selfLoops = 0, zeroWeight = 0;
        bool header = false;
        char? separator = null; // decided by the first line that is not a comment: a comma, or blanks
        string? line;
        while ((line = lines.Next()) is not null)
        {
            var span = line.AsSpan().Trim();
            int number = lines.LineNumber;
            if (span.IsEmpty) continue;
            if (span[0] == '#')
            {
                CheckDeclaredNodes(path, span, number, nodes, nodesSource);
                continue;
            }
            if (shapeLine == 0) separator = span.Contains(',') ? ',' : null;
            var parts = Split(span, separator);
            if (shapeLine == 0)
            {
                shapeLine = number;
                cells = parts.Count;
                header = !InputFile.TryParseNumber(span[parts[0]], out _);
                if (cells is < 2 or > 3)
                    throw InputFile.Fail(path, $"line {number}: found {cells} columns; an edge list has 2 (source,target) or 3 (source,target,weight)");
                if (header) continue;
            }
            else if (parts.Count != cells)
                throw InputFile.Fail(path, $"line {number}: expected {cells} columns, as in {(header ? "the header" : "the first edge")} on line {shapeLine}, but found {parts.Count}");

            int source = Index(path, span[parts[0]], number, "source", nodes, nodesSource);
            int target = Index(path, span[parts[1]], number, "target", nodes, nodesSource);
            double weight = 1;
            if (cells == 3)
            {
                var cell = span[parts[2]];
                if (!InputFile.TryParseNumber(cell, out weight))
                    throw InputFile.Fail(path, $"line {number}: the weight {InputFile.Quote(cell)} is not a number; weights must be finite and non-negative");
                if (!double.IsFinite(weight))
                    throw InputFile.Fail(path, $"line {number}: the weight {InputFile.Quote(cell)} is not finite; weights must be finite and non-negative");
                if (weight < 0)
                    throw InputFile.Fail(path, $"line {number}: the weight {InputFile.Quote(cell)} is negative; weights must be finite and non-negative");
            }
            if (source == target) selfLoops++;
            else if (weight == 0) zeroWeight++;
            sources.Add(source);
            targets.Add(target);
            weights.Add(weight);
        }
        if (sources.Count == 0)
            throw InputFile.Fail(path, shapeLine == 0 || !header
                ? "the file holds no edge; expected lines source,target[,weight] with 0-based node indices"
                : $"the file holds no edge, only the header on line {shapeLine}; expected lines source,target[,weight] with 0-based node indices");
        var graph = SparseGraph.FromEdges(nodes, sources.ToArray(), targets.ToArray(), weights.ToArray(), symmetrise);
        if (graph.Entries == 0)
        {
            var dropped = new List<string>();
            if (selfLoops > 0) dropped.Add(selfLoops == 1 ? "1 self-loop" : $"{selfLoops} self-loops");
            if (zeroWeight > 0) dropped.Add($"{zeroWeight} of weight 0");
            throw InputFile.Fail(path, $"the file has no edge between two different nodes ({sources.Count} edge line{(sources.Count == 1 ? "" : "s")}: " +
                $"{string.Join(" and ", dropped)}, all dropped); expected at least one edge source,target[,weight] with source != target and a positive weight");
        }
        return (graph, new EdgeListStats(sources.Count, selfLoops, zeroWeight, cells == 3));
    }

    private static void CheckDeclaredNodes(string path, ReadOnlySpan<char> comment, int number, int nodes, string nodesSource)
    {
        var text = comment[1..].Trim();
        if (!text.StartsWith("nodes", StringComparison.OrdinalIgnoreCase)) return;
        var value = text[5..].Trim();
        if (value.StartsWith('=') || value.StartsWith(':')) value = value[1..].Trim();
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int declared))
            throw InputFile.Fail(path, $"line {number}: '# nodes' must be followed by a whole number, got {InputFile.Quote(value)}");
        if (declared != nodes)
            throw InputFile.Fail(path, $"line {number}: the graph declares {declared} nodes but {nodesSource} give {nodes}; the graph and the labels must describe the same nodes");
    }

    private static int Index(string path, ReadOnlySpan<char> cell, int number, string what, int nodes, string nodesSource)
    {
        if (!InputFile.TryParseNumber(cell, out double value))
            throw InputFile.Fail(path, $"line {number}: the {what} {InputFile.Quote(cell)} is not a number; expected a 0-based node index");
        if (!double.IsFinite(value) || value != Math.Floor(value))
            throw InputFile.Fail(path, $"line {number}: the {what} {InputFile.Quote(cell)} is not an integer; expected a 0-based node index");
        if (value < 0 || value >= nodes)
            throw InputFile.Fail(path, $"line {number}: the {what} {InputFile.Quote(cell)} is out of range: {nodesSource} give {nodes} nodes, so indices must be 0..{nodes - 1}; the graph and the labels must describe the same nodes");
        return (int)value;
    }

    private static List<Range> Split(ReadOnlySpan<char> line, char? separator)
    {
        var parts = new List<Range>(3);
        if (separator is { } comma)
        {
            foreach (var range in line.Split(comma)) parts.Add(range);
            return parts;
        }
        int start = -1;
        for (int k = 0; k <= line.Length; k++)
        {
            bool blank = k == line.Length || char.IsWhiteSpace(line[k]);
            if (!blank && start < 0) start = k;
            else if (blank && start >= 0)
            {
                parts.Add(start..k);
                start = -1;
            }
        }
        return parts;
    }
}
