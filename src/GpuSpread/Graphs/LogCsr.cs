namespace GpuSpread.Graphs;

/// <summary>
/// A sparse weighted matrix in CSR form with log-weights (<c>W_ij = exp(LogWeights[e])</c>), so that weights such as
/// exp(-gamma r) on far kNN edges never underflow: the form in which both engines take every sparse graph (kNN graphs,
/// graphs given as input, their combinations). Columns are strictly increasing within a row; the diagonal may be
/// stored (the kNN graph with the point itself included).
/// </summary>
internal sealed record LogCsr(int Rows, int[] RowStart, int[] Columns, double[] LogWeights)
{
    public int Entries => Columns.Length;

    public GraphPattern Pattern => new(Rows, RowStart, Columns);

    /// <summary>The log-weight of (i, j), or -inf when absent.</summary>
    public double LogWeight(int i, int j)
    {
        int at = Array.BinarySearch(Columns, RowStart[i], RowStart[i + 1] - RowStart[i], j);
        return at >= 0 ? LogWeights[at] : double.NegativeInfinity;
    }

    public static LogCsr FromGraph(SparseGraph graph) =>
        new(graph.Nodes, graph.RowStart, graph.Columns, Array.ConvertAll(graph.Weights, Math.Log));

    /// <summary>Builds from (row, column, log-weight) triples; repeated pairs are merged by <paramref name="merge"/>.</summary>
    public static LogCsr FromTriples(int rows, List<(int Row, int Column, double LogWeight)> triples, Func<double, double, double> merge)
    {
        triples.Sort((x, y) => x.Row != y.Row ? x.Row.CompareTo(y.Row) : x.Column.CompareTo(y.Column));
        var rowStart = new int[rows + 1];
        var columns = new List<int>(triples.Count);
        var logWeights = new List<double>(triples.Count);
        int previousRow = -1, previousColumn = -1;
        foreach (var (row, column, logWeight) in triples)
        {
            if (row == previousRow && column == previousColumn)
            {
                logWeights[^1] = merge(logWeights[^1], logWeight);
                continue;
            }
            columns.Add(column);
            logWeights.Add(logWeight);
            rowStart[row + 1]++;
            (previousRow, previousColumn) = (row, column);
        }
        for (int i = 0; i < rows; i++) rowStart[i + 1] += rowStart[i];
        return new LogCsr(rows, rowStart, [.. columns], [.. logWeights]);
    }

    /// <summary>The matrix relabelled so that new row p is old row <paramref name="order"/>[p] (columns alike).</summary>
    public LogCsr Permuted(int[] order)
    {
        var position = new int[Rows];
        for (int p = 0; p < Rows; p++) position[order[p]] = p;
        var triples = new List<(int, int, double)>(Entries);
        for (int i = 0; i < Rows; i++)
            for (int e = RowStart[i]; e < RowStart[i + 1]; e++)
                triples.Add((position[i], position[Columns[e]], LogWeights[e]));
        return FromTriples(Rows, triples, (a, _) => a);
    }

    /// <summary>
    /// Per column j, the term <c>-log(d_j)/2</c> that the operators weigh column j (and scale row j) by: for spreading
    /// d_j is the column sum of W without its diagonal (the in-degree; the degree of a symmetric graph), taken in log
    /// space, a zero degree counting as 1; for propagation every term is 0 (its row normalisation follows).
    /// </summary>
    public double[] HalfLogInverseDegrees(DiffusionModel model)
    {
        var result = new double[Rows];
        if (model != DiffusionModel.Spreading) return result;
        var maxima = new double[Rows];
        Array.Fill(maxima, double.NegativeInfinity);
        for (int i = 0; i < Rows; i++)
            for (int e = RowStart[i]; e < RowStart[i + 1]; e++)
                if (Columns[e] != i) maxima[Columns[e]] = Math.Max(maxima[Columns[e]], LogWeights[e]);
        var sums = new double[Rows];
        for (int i = 0; i < Rows; i++)
            for (int e = RowStart[i]; e < RowStart[i + 1]; e++)
            {
                int j = Columns[e];
                if (j != i && !double.IsNegativeInfinity(maxima[j])) sums[j] += Math.Exp(LogWeights[e] - maxima[j]);
            }
        for (int j = 0; j < Rows; j++)
        {
            double logDegree = double.IsNegativeInfinity(maxima[j]) || sums[j] == 0 ? 0 : maxima[j] + Math.Log(sums[j]);
            result[j] = -0.5 * logDegree;
        }
        return result;
    }

    /// <summary>
    /// <c>(1 - mu) W_features + mu W_graph</c> as one graph (<see cref="CombinationMode.Weights"/>): the union of both edge
    /// sets, weights added where both have an edge.
    /// </summary>
    public static LogCsr Mix(LogCsr features, LogCsr graph, double mu)
    {
        var triples = new List<(int, int, double)>(features.Entries + graph.Entries);
        foreach (var (matrix, share) in new[] { (features, 1 - mu), (graph, mu) })
        {
            if (share == 0) continue;
            for (int i = 0; i < matrix.Rows; i++)
                for (int e = matrix.RowStart[i]; e < matrix.RowStart[i + 1]; e++)
                    triples.Add((i, matrix.Columns[e], matrix.LogWeights[e] + Math.Log(share)));
        }
        return FromTriples(features.Rows, triples, LogAdd);
    }

    /// <summary>The symmetric part <c>(W + W^T) / 2</c>: the graph Poisson learning solves on (a symmetric W is its own).</summary>
    public LogCsr SymmetricPart()
    {
        var triples = new List<(int, int, double)>(2 * Entries);
        for (int i = 0; i < Rows; i++)
            for (int e = RowStart[i]; e < RowStart[i + 1]; e++)
            {
                double half = LogWeights[e] - Math.Log(2);
                triples.Add((i, Columns[e], half));
                triples.Add((Columns[e], i, half));
            }
        return FromTriples(Rows, triples, LogAdd);
    }

    /// <summary>log(exp(a) + exp(b)) without overflow or underflow.</summary>
    public static double LogAdd(double a, double b)
    {
        if (double.IsNegativeInfinity(a)) return b;
        if (double.IsNegativeInfinity(b)) return a;
        double max = Math.Max(a, b);
        return max + Math.Log(Math.Exp(a - max) + Math.Exp(b - max));
    }
}
