using GpuSpread.Tests.Reference;

namespace GpuSpread.Tests.Graphs;

/// <summary>
/// scikit-learn's loops (a transcription of label_propagation.py, as <see cref="DenseReference"/>) over a dense
/// operator given as a matrix: S for spreading, T (or any row-scaled W) for propagation. Only for small n.
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

    public static DenseReference.Result Fit(double[,] op, int[] classIndex, int classes, DiffusionOptions options)
    {
        int n = op.GetLength(0);
        var f = new double[n, classes];
        for (int i = 0; i < n; i++) if (classIndex[i] >= 0) f[i, classIndex[i]] = 1;
        var yStatic = (double[,])f.Clone();
        bool spreading = options.Model == DiffusionModel.Spreading;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < classes; c++) yStatic[i, c] *= spreading ? 1 - options.Alpha : 1;
        var previous = new double[n, classes];
        int iteration = 0;
        bool converged = false;
        for (; iteration < options.MaxIter; iteration++)
        {
            double change = 0;
            for (int i = 0; i < n; i++)
                for (int c = 0; c < classes; c++) change += Math.Abs(f[i, c] - previous[i, c]);
            if (change < options.Tol)
            {
                converged = true;
                break;
            }
            previous = f;
            f = DenseReference.Multiply(op, previous);
            for (int i = 0; i < n; i++)
            {
                if (spreading)
                {
                    for (int c = 0; c < classes; c++) f[i, c] = options.Alpha * f[i, c] + yStatic[i, c];
                    continue;
                }
                double sum = 0;
                for (int c = 0; c < classes; c++) sum += f[i, c];
                for (int c = 0; c < classes; c++) f[i, c] = classIndex[i] >= 0 ? yStatic[i, c] : f[i, c] / (sum == 0 ? 1 : sum);
            }
        }
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += f[i, c];
            for (int c = 0; c < classes; c++) f[i, c] /= sum == 0 ? 1 : sum;
        }
        return new DenseReference.Result(f, iteration, converged);
    }

    public static double[,] Dense(GpuSpread.Graphs.SparseGraph graph)
    {
        var w = new double[graph.Nodes, graph.Nodes];
        for (int i = 0; i < graph.Nodes; i++)
            for (int e = graph.RowStart[i]; e < graph.RowStart[i + 1]; e++) w[i, graph.Columns[e]] = graph.Weights[e];
        return w;
    }

    public static double MaxDifference(double[] actual, double[,] expected)
    {
        int n = expected.GetLength(0), c = expected.GetLength(1);
        double worst = 0;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < c; k++) worst = Math.Max(worst, Math.Abs(actual[i * c + k] - expected[i, k]));
        return worst;
    }
}
