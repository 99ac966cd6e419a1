using System.Globalization;

namespace GpuSpread.Graphs;

/// <summary>
/// A weighted graph on <see cref="Nodes"/> nodes as a compressed sparse row (CSR) matrix W: row i holds
/// W_ij for its columns j in increasing order, every weight finite and positive, no self-loop (W_ii = 0).
/// Built from an edge list by <see cref="FromEdges"/>: duplicates summed, self-loops dropped, and, by default,
/// symmetrised as <c>max(W, W^T)</c>, so that an undirected edge listed once or in both directions (with the
/// same weight) gives the same graph. A node without edges is isolated: its row is empty.
/// </summary>
public sealed class SparseGraph
{
    private SparseGraph(int nodes, int[] rowStart, int[] columns, double[] weights)
    {
        Nodes = nodes;
        RowStart = rowStart;
        Columns = columns;
        Weights = weights;
    }

    /// <summary>n, the number of nodes (rows and columns of W).</summary>
    public int Nodes { get; }

    /// <summary>n + 1 offsets into <see cref="Columns"/> and <see cref="Weights"/>.</summary>
    public int[] RowStart { get; }

    /// <summary>The column j of each stored entry, row after row, increasing within a row.</summary>
    public int[] Columns { get; }
    /// <summary>W_ij of each stored entry, in the order of <see cref="Columns"/>: finite and positive.</summary>
    public double[] Weights { get; }

    /// <summary>Stored entries: an undirected edge counts twice (i→j and j→i).</summary>
    public int Entries => Columns.Length;

    /// <summary>The columns j with W_ij &gt; 0 of row <paramref name="row"/> (0-based), increasing; empty for an isolated node.</summary>
    public ReadOnlySpan<int> Neighbours(int row) => Columns.AsSpan(RowStart[row], RowStart[row + 1] - RowStart[row]);
    /// <summary>The weights of <see cref="Neighbours"/>, in the same order.</summary>
    public ReadOnlySpan<double> NeighbourWeights(int row) => Weights.AsSpan(RowStart[row], RowStart[row + 1] - RowStart[row]);

    /// <summary>W_ij, 0 when absent.</summary>
    public double this[int row, int column]
    {
        get
        {
            int at = Array.BinarySearch(Columns, RowStart[row], RowStart[row + 1] - RowStart[row], column);
            return at >= 0 ? Weights[at] : 0;
        }
    }

    /// <summary>True when W_ij = W_ji for every pair.</summary>
    public bool IsSymmetric()
    {
        for (int i = 0; i < Nodes; i++)
            for (int e = RowStart[i]; e < RowStart[i + 1]; e++)
                if (this[Columns[e], i] != Weights[e]) return false;
        return true;
    }

    /// <summary>Nodes without any edge (an empty row and an empty column).</summary>
    public int IsolatedNodes()
    {
        var touched = new bool[Nodes];
        for (int i = 0; i < Nodes; i++)
            if (RowStart[i + 1] > RowStart[i])
            {
                touched[i] = true;
                foreach (int j in Neighbours(i)) touched[j] = true;
            }
        return touched.Count(t => !t);
    }

    /// <summary>
    /// The graph of the given edges. Weights default to 1 (<paramref name="weights"/> empty); an edge of weight 0
    /// is dropped; self-loops are dropped; repeated (source, target) pairs have their weights summed; then, when
    /// <paramref name="symmetrise"/>, W becomes max(W, W^T).
    /// </summary>
    /// <exception cref="ArgumentException">an index outside 0..nodes-1, or a negative or non-finite weight
    /// (the edge-list reader reports these with the file and line before they get here).</exception>
    public static SparseGraph FromEdges(int nodes, ReadOnlySpan<int> sources, ReadOnlySpan<int> targets, ReadOnlySpan<double> weights,
        bool symmetrise = true)
    {
        if (nodes < 0) throw new ArgumentOutOfRangeException(nameof(nodes), $"the node count must not be negative, got {nodes}");
        if (sources.Length != targets.Length)
            throw new ArgumentException($"{sources.Length} sources but {targets.Length} targets", nameof(targets));
        if (!weights.IsEmpty && weights.Length != sources.Length)
            throw new ArgumentException($"{sources.Length} edges but {weights.Length} weights", nameof(weights));
        var triples = new List<(int Row, int Column, double Weight)>(symmetrise ? 2 * sources.Length : sources.Length);
        for (int e = 0; e < sources.Length; e++)
        {
            int i = sources[e], j = targets[e];
            double w = weights.IsEmpty ? 1 : weights[e];
            if ((uint)i >= (uint)nodes || (uint)j >= (uint)nodes)
                throw new ArgumentException($"edge {e} ({i}, {j}) has an index outside 0..{nodes - 1}");
            if (!(w >= 0 && double.IsFinite(w)))
                throw new ArgumentException($"edge {e} ({i}, {j}) has weight {w.ToString("R", CultureInfo.InvariantCulture)}; weights must be finite and non-negative");
            if (i == j || w == 0) continue;
            triples.Add((i, j, w));
        }
        var directed = FromTriples(nodes, triples, sum: true);
        return symmetrise ? directed.Symmetrised() : directed;
    }

    /// <summary>The graph with exactly these CSR arrays (validated: sorted distinct columns, positive finite weights, no diagonal).</summary>
    public static SparseGraph FromCsr(int nodes, int[] rowStart, int[] columns, double[] weights)
    {
        ArgumentNullException.ThrowIfNull(rowStart);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(weights);
        if (rowStart.Length != nodes + 1 || rowStart[0] != 0 || rowStart[nodes] != columns.Length || weights.Length != columns.Length)
            throw new ArgumentException("inconsistent CSR arrays: rowStart needs nodes + 1 offsets from 0 to the entry count");
        for (int i = 0; i < nodes; i++)
        {
            if (rowStart[i + 1] < rowStart[i]) throw new ArgumentException($"row offsets decrease at row {i}", nameof(rowStart));
            for (int e = rowStart[i]; e < rowStart[i + 1]; e++)
            {
                int j = columns[e];
                if ((uint)j >= (uint)nodes) throw new ArgumentException($"row {i}: column {j} outside 0..{nodes - 1}", nameof(columns));
                if (j == i) throw new ArgumentException($"row {i}: a self-loop; the diagonal must be empty", nameof(columns));
                if (e > rowStart[i] && columns[e - 1] >= j) throw new ArgumentException($"row {i}: columns must be strictly increasing", nameof(columns));
                if (!(weights[e] > 0 && double.IsFinite(weights[e]))) throw new ArgumentException($"row {i}: weight {weights[e]} must be finite and positive", nameof(weights));
            }
        }
        return new SparseGraph(nodes, rowStart, columns, weights);
    }

    /// <summary>max(W, W^T).</summary>
    public SparseGraph Symmetrised()
    {
        var triples = new List<(int, int, double)>(2 * Entries);
        for (int i = 0; i < Nodes; i++)
            for (int e = RowStart[i]; e < RowStart[i + 1]; e++)
            {
                triples.Add((i, Columns[e], Weights[e]));
                triples.Add((Columns[e], i, Weights[e]));
            }
        return FromTriples(Nodes, triples, sum: false);
    }

    /// <summary><c>a W_a + b W_b</c> entry by entry (the union of both edge sets).</summary>
    public static SparseGraph Combine(SparseGraph first, double a, SparseGraph second, double b)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Nodes != second.Nodes)
            throw new ArgumentException($"the graphs have {first.Nodes} and {second.Nodes} nodes; they must have the same", nameof(second));
        if (!(a >= 0 && b >= 0 && double.IsFinite(a) && double.IsFinite(b)))
            throw new ArgumentException($"the factors must be finite and non-negative, got {a} and {b}");
        var triples = new List<(int, int, double)>(first.Entries + second.Entries);
        foreach (var (graph, factor) in new[] { (first, a), (second, b) })
        {
            if (factor == 0) continue;
            for (int i = 0; i < graph.Nodes; i++)
                for (int e = graph.RowStart[i]; e < graph.RowStart[i + 1]; e++)
                    triples.Add((i, graph.Columns[e], factor * graph.Weights[e]));
        }
        return FromTriples(first.Nodes, triples, sum: true);
    }

    /// <summary>Row sums of W.</summary>
    public double[] RowSums()
    {
        var sums = new double[Nodes];
        for (int i = 0; i < Nodes; i++)
            foreach (double w in NeighbourWeights(i)) sums[i] += w;
        return sums;
    }

    /// <summary>Column sums of W (in-degrees; the row sums when W is symmetric).</summary>
    public double[] ColumnSums()
    {
        var sums = new double[Nodes];
        for (int e = 0; e < Entries; e++) sums[Columns[e]] += Weights[e];
        return sums;
    }

    /// <summary>The graph relabelled so that new node p is old node <paramref name="order"/>[p].</summary>
    public SparseGraph Permuted(ReadOnlySpan<int> order)
    {
        if (order.Length != Nodes) throw new ArgumentException($"the order has {order.Length} entries for {Nodes} nodes", nameof(order));
        var position = new int[Nodes];
        Array.Fill(position, -1);
        for (int p = 0; p < Nodes; p++)
        {
            if ((uint)order[p] >= (uint)Nodes || position[order[p]] >= 0)
                throw new ArgumentException("the order must be a permutation of 0..n-1", nameof(order));
            position[order[p]] = p;
        }
        var triples = new List<(int, int, double)>(Entries);
        for (int i = 0; i < Nodes; i++)
            for (int e = RowStart[i]; e < RowStart[i + 1]; e++)
                triples.Add((position[i], position[Columns[e]], Weights[e]));
        return FromTriples(Nodes, triples, sum: true);
    }

    private static SparseGraph FromTriples(int nodes, List<(int Row, int Column, double Weight)> triples, bool sum)
    {
        triples.Sort((x, y) => x.Row != y.Row ? x.Row.CompareTo(y.Row) : x.Column.CompareTo(y.Column));
        var rowStart = new int[nodes + 1];
        var columns = new List<int>(triples.Count);
        var weights = new List<double>(triples.Count);
        int previousRow = -1, previousColumn = -1;
        foreach (var (row, column, weight) in triples)
        {
            if (row == previousRow && column == previousColumn)
            {
                weights[^1] = sum ? weights[^1] + weight : Math.Max(weights[^1], weight);
                continue;
            }
            columns.Add(column);
            weights.Add(weight);
            rowStart[row + 1]++;
            previousRow = row;
            previousColumn = column;
        }
        for (int i = 0; i < nodes; i++) rowStart[i + 1] += rowStart[i];
        var weightArray = weights.ToArray();
        foreach (double w in weightArray)
            if (!double.IsFinite(w)) throw new ArgumentException("summed edge weights overflow to infinity");
        return new SparseGraph(nodes, rowStart, [.. columns], weightArray);
    }
}
