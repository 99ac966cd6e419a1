using GpuSpread.Graphs;

namespace GpuSpread.Experiments;

/// <summary>
/// <c>S = D^-1/2 (W + s I) D^-1/2</c> of a symmetric graph, with D the row sums of <c>W + s I</c> (a zero degree
/// counting as 1, so an isolated node's row stays zero), applied to dense n x k matrices in float64. With s = 0
/// it is the S of label spreading; with s = 1 the renormalised adjacency of GCN and SGC (Kipf and Welling 2017).
/// Used by SGC's feature propagation and by Correct-and-Smooth, whose residual propagation needs signed values.
/// </summary>
internal sealed class NormalisedAdjacency
{
    private const int RowsPerBlock = 128;
    private readonly SparseGraph _graph;
    private readonly double[] _inverseSqrtDegree;
    private readonly double _selfLoop;

    public NormalisedAdjacency(SparseGraph graph, double selfLoop = 0)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (!(selfLoop >= 0 && double.IsFinite(selfLoop))) throw new ArgumentOutOfRangeException(nameof(selfLoop), "the self-loop weight must be finite and non-negative");
        _graph = graph;
        _selfLoop = selfLoop;
        var degree = graph.RowSums();
        _inverseSqrtDegree = new double[graph.Nodes];
        for (int i = 0; i < graph.Nodes; i++)
        {
            double d = degree[i] + selfLoop;
            _inverseSqrtDegree[i] = 1 / Math.Sqrt(d == 0 ? 1 : d);
        }
    }

    public int Nodes => _graph.Nodes;

    /// <summary>y = S x for x, y n x <paramref name="columns"/> row-major.</summary>
    public void Multiply(double[] x, int columns, double[] y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        int n = Nodes;
        if (x.Length != (long)n * columns || y.Length != x.Length) throw new ArgumentException($"expected {n} x {columns} matrices");
        Parallel.For(0, (n + RowsPerBlock - 1) / RowsPerBlock, block =>
        {
            int end = Math.Min(n, (block + 1) * RowsPerBlock);
            for (int i = block * RowsPerBlock; i < end; i++)
            {
                var output = y.AsSpan(i * columns, columns);
                var own = x.AsSpan(i * columns, columns);
                double self = _selfLoop * _inverseSqrtDegree[i] * _inverseSqrtDegree[i];
                for (int c = 0; c < columns; c++) output[c] = self * own[c];
                var neighbours = _graph.Neighbours(i);
                var weights = _graph.NeighbourWeights(i);
                for (int e = 0; e < neighbours.Length; e++)
                {
                    int j = neighbours[e];
                    double w = weights[e] * _inverseSqrtDegree[i] * _inverseSqrtDegree[j];
                    var source = x.AsSpan(j * columns, columns);
                    for (int c = 0; c < columns; c++) output[c] += w * source[c];
                }
            }
        });
    }

    /// <summary>S^k x.</summary>
    public double[] Power(double[] x, int columns, int k)
    {
        var current = (double[])x.Clone();
        var next = new double[current.Length];
        for (int step = 0; step < k; step++)
        {
            Multiply(current, columns, next);
            (current, next) = (next, current);
        }
        return current;
    }

    /// <summary>
    /// <paramref name="iterations"/> steps of <c>F &lt;- alpha S F + (1 - alpha) F0</c> from F = F0, each followed by
    /// <paramref name="after"/> (clamping, or resetting rows), as PyTorch Geometric's LabelPropagation does.
    /// </summary>
    public double[] Spread(double[] f0, int columns, double alpha, int iterations, Action<double[]>? after = null)
    {
        ArgumentNullException.ThrowIfNull(f0);
        var current = (double[])f0.Clone();
        var next = new double[current.Length];
        for (int step = 0; step < iterations; step++)
        {
            Multiply(current, columns, next);
            for (int k = 0; k < next.Length; k++) next[k] = alpha * next[k] + (1 - alpha) * f0[k];
            after?.Invoke(next);
            (current, next) = (next, current);
        }
        return current;
    }
}
