namespace GpuSpread.Tests.Reference;

/// <summary>
/// A plain dense float64 transcription of scikit-learn 1.2.1's label_propagation.py, the independent
/// oracle for random inputs: n x n matrices, no tiling, no log-scales, distances by direct differences.
/// Only for small n.
/// </summary>
public static class DenseReference
{
    public sealed record Result(double[,] Distributions, int NIter, bool Converged);

    public static double[,] Affinity(double[,] x, DiffusionOptions options)
    {
        int n = x.GetLength(0);
        var w = new double[n, n];
        if (options.Kernel == AffinityKernel.Rbf)
        {
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    w[i, j] = i == j ? 1 : Math.Exp(-options.Gamma * SquaredDistance(x, i, x, j));
            return w;
        }
        for (int i = 0; i < n; i++)
            foreach (int j in Nearest(x, x, i, options.NNeighbors)) w[i, j] = 1;
        return w;
    }

    /// <summary>The k rows of <paramref name="corpus"/> nearest to row q of <paramref name="queries"/>, ties to the lower index.</summary>
    public static int[] Nearest(double[,] queries, double[,] corpus, int q, int k)
    {
        int n = corpus.GetLength(0);
        var order = Enumerable.Range(0, n).ToArray();
        var distance = order.Select(j => SquaredDistance(queries, q, corpus, j)).ToArray();
        return order.OrderBy(j => distance[j]).ThenBy(j => j).Take(k).ToArray();
    }

    public static double SquaredDistance(double[,] a, int i, double[,] b, int j)
    {
        double sum = 0;
        for (int f = 0; f < a.GetLength(1); f++)
        {
            double d = a[i, f] - b[j, f];
            sum += d * d;
        }
        return sum;
    }

    /// <summary>S (spreading: normalised Laplacian's off-diagonal, column-sum degrees) or T (propagation).</summary>
    public static double[,] Operator(double[,] w, DiffusionModel model)
    {
        int n = w.GetLength(0);
        var result = new double[n, n];
        if (model == DiffusionModel.Spreading)
        {
            var degree = new double[n];
            for (int j = 0; j < n; j++)
                for (int i = 0; i < n; i++)
                    if (i != j) degree[j] += w[i, j];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    result[i, j] = i == j ? 0 : w[i, j] / Math.Sqrt(Or1(degree[i])) / Math.Sqrt(Or1(degree[j]));
            return result;
        }
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int j = 0; j < n; j++) sum += w[i, j];
            for (int j = 0; j < n; j++) result[i, j] = w[i, j] / sum;
        }
        return result;
    }

    public static Result Fit(double[,] x, int[] classIndex, int classes, DiffusionOptions options)
        => Iterate(Operator(Affinity(x, options), options.Model), classIndex, classes, options);

    /// <summary>scikit-learn's loop over a dense operator given as a matrix: S for spreading, T for propagation.</summary>
    public static Result Iterate(double[,] op, int[] classIndex, int classes, DiffusionOptions options)
    {
        int n = op.GetLength(0);
        var f = new double[n, classes];
        for (int i = 0; i < n; i++) if (classIndex[i] >= 0) f[i, classIndex[i]] = 1;
        var yStatic = (double[,])f.Clone();
        bool spreading = options.Model == DiffusionModel.Spreading;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < classes; c++)
                yStatic[i, c] *= spreading ? 1 - options.Alpha : 1;
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
            f = Multiply(op, previous);
            for (int i = 0; i < n; i++)
            {
                if (spreading)
                {
                    for (int c = 0; c < classes; c++) f[i, c] = options.Alpha * f[i, c] + yStatic[i, c];
                    continue;
                }
                double sum = 0;
                for (int c = 0; c < classes; c++) sum += f[i, c];
                for (int c = 0; c < classes; c++)
                    f[i, c] = classIndex[i] >= 0 ? yStatic[i, c] : f[i, c] / Or1(sum);
            }
        }
        NormaliseRows(f);
        return new Result(f, iteration, converged);
    }

    public static double[,] PredictProba(double[,] x, double[,] distributions, double[,] xNew, DiffusionOptions options)
    {
        int m = xNew.GetLength(0), n = x.GetLength(0), classes = distributions.GetLength(1);
        var result = new double[m, classes];
        for (int q = 0; q < m; q++)
        {
            if (options.Kernel == AffinityKernel.Rbf)
            {
                for (int j = 0; j < n; j++)
                {
                    double weight = Math.Exp(-options.Gamma * SquaredDistance(xNew, q, x, j));
                    for (int c = 0; c < classes; c++) result[q, c] += weight * distributions[j, c];
                }
            }
            else
            {
                foreach (int j in Nearest(xNew, x, q, options.NNeighbors))
                    for (int c = 0; c < classes; c++) result[q, c] += distributions[j, c];
            }
        }
        NormaliseRows(result);
        return result;
    }

    public static double[,] Multiply(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), inner = a.GetLength(1), m = b.GetLength(1);
        var result = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < inner; k++)
            {
                double value = a[i, k];
                if (value == 0) continue;
                for (int j = 0; j < m; j++) result[i, j] += value * b[k, j];
            }
        return result;
    }

    private static void NormaliseRows(double[,] f)
    {
        for (int i = 0; i < f.GetLength(0); i++)
        {
            double sum = 0;
            for (int c = 0; c < f.GetLength(1); c++) sum += f[i, c];
            for (int c = 0; c < f.GetLength(1); c++) f[i, c] /= Or1(sum);
        }
    }

    private static double Or1(double value) => value == 0 ? 1 : value;
}
