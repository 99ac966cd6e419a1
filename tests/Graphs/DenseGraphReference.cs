using GpuSpread.Tests.Reference;

namespace GpuSpread.Tests.Graphs;

/// <summary>
/// Dense helpers for the graph tests: row normalisation, mixing two operators, a sparse graph as a matrix.
/// The loops over such operators are <see cref="DenseReference.Iterate"/>.
/// </summary>
public static class DenseGraphReference
{
    /// <summary>T with empty rows left empty (scikit-learn would divide by zero there).</summary>
    public static double[,] RowNormalised(double[,] w)
    {
        int n = w.GetLength(0);
        var t = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int j = 0; j < n; j++) sum += w[i, j];
            for (int j = 0; j < n; j++) t[i, j] = sum == 0 ? 0 : w[i, j] / sum;
        }
        return t;
    }

    public static double[,] Mix(double[,] a, double weightA, double[,] b, double weightB)
    {
        int n = a.GetLength(0), m = a.GetLength(1);
        var result = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) result[i, j] = weightA * a[i, j] + weightB * b[i, j];
        return result;
    }

    public static double[,] Dense(GpuSpread.Graphs.SparseGraph graph)
    {
        var w = new double[graph.Nodes, graph.Nodes];
        for (int i = 0; i < graph.Nodes; i++)
            for (int e = graph.RowStart[i]; e < graph.RowStart[i + 1]; e++) w[i, graph.Columns[e]] = graph.Weights[e];
        return w;
    }
}
