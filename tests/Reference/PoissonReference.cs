using MathNet.Numerics.LinearAlgebra;

namespace GpuSpread.Tests.Reference;

/// <summary>
/// A dense float64 transcription of GraphLearning's <c>poisson(solver='gradient_descent')._fit</c> (graphlearning/ssl.py),
/// the independent oracle for Poisson learning: n x n matrices, no log-scales. GraphLearning zeroes W's diagonal; the
/// symmetric part <c>(W + W^T) / 2</c> is taken first (GpuSpread's documented rule for directed graphs; a symmetric W is
/// unchanged), and a zero degree counts as 1 (GraphLearning divides by it). Only for small n.
/// </summary>
public static class PoissonReference
{
    public sealed record Result(double[,] Scores, int NIter, bool Converged);

    public static Result Fit(double[,] w, int[] classIndex, int classes, int maxIter)
    {
        var ws = SymmetricPart(w);
        int n = ws.GetLength(0);
        var degree = Degrees(ws);
        var inverse = degree.Select(d => d == 0 ? 1 : 1 / d).ToArray();
        int[] labeled = Enumerable.Range(0, n).Where(i => classIndex[i] >= 0).ToArray();
        var mean = new double[classes];
        foreach (int i in labeled) mean[classIndex[i]] += 1.0 / labeled.Length;
        var source = new double[n, classes];
        foreach (int i in labeled)
            for (int c = 0; c < classes; c++) source[i, c] = (classIndex[i] == c ? 1 : 0) - mean[c];

        // P = D^-1 W^T, Db = D^-1 source, RW = W^T D^-1; v from 1/m on the labeled rows towards deg / sum(deg).
        var v = new double[n];
        foreach (int i in labeled) v[i] = 1.0 / labeled.Length;
        double total = degree.Sum();
        var stationary = degree.Select(d => d / total).ToArray();
        var u = new double[n, classes];
        int t = 0;
        bool Running() => t < PoissonLearning.MinIterations || Deviation(v, stationary) > 1.0 / n;
        while (Running() && t < maxIter)
        {
            var next = new double[n, classes];
            var nextV = new double[n];
            for (int i = 0; i < n; i++)
            {
                for (int c = 0; c < classes; c++)
                {
                    double sum = inverse[i] * source[i, c];
                    for (int j = 0; j < n; j++) sum += inverse[i] * ws[j, i] * u[j, c];
                    next[i, c] = sum;
                }
                for (int j = 0; j < n; j++) nextV[i] += ws[j, i] * inverse[j] * v[j];
            }
            (u, v) = (next, nextV);
            t++;
        }
        return new Result(u, t, !Running());
    }

    /// <summary>
    /// The exact solution of <c>L u = b</c> with <c>sum_i d_i u_i = 0</c> per class (the limit of the iteration on a
    /// connected graph), by MathNet's pseudo-inverse.
    /// </summary>
    public static double[,] Solve(double[,] w, int[] classIndex, int classes)
    {
        var ws = SymmetricPart(w);
        int n = ws.GetLength(0);
        var degree = Degrees(ws);
        var laplacian = Matrix<double>.Build.Dense(n, n, (i, j) => (i == j ? degree[i] : 0) - ws[i, j]);
        int[] labeled = Enumerable.Range(0, n).Where(i => classIndex[i] >= 0).ToArray();
        var mean = new double[classes];
        foreach (int i in labeled) mean[classIndex[i]] += 1.0 / labeled.Length;
        var b = Matrix<double>.Build.Dense(n, classes, (i, c) => classIndex[i] < 0 ? 0 : (classIndex[i] == c ? 1 : 0) - mean[c]);
        var u = laplacian.PseudoInverse() * b;
        double total = degree.Sum();
        var result = new double[n, classes];
        for (int c = 0; c < classes; c++)
        {
            double weighted = 0;
            for (int i = 0; i < n; i++) weighted += degree[i] * u[i, c];
            for (int i = 0; i < n; i++) result[i, c] = u[i, c] - weighted / total;
        }
        return result;
    }

    /// <summary>Rows as distributions: the positive part over its sum, after weighing class c by <paramref name="classWeights"/>[c].</summary>
    public static double[,] Distributions(double[,] scores, double[]? classWeights = null)
    {
        int n = scores.GetLength(0), classes = scores.GetLength(1);
        var result = new double[n, classes];
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += result[i, c] = Math.Max(scores[i, c], 0) * (classWeights?[c] ?? 1);
            for (int c = 0; c < classes && sum > 0; c++) result[i, c] /= sum;
        }
        return result;
    }

    public static double[,] SymmetricPart(double[,] w)
    {
        int n = w.GetLength(0);
        var result = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) result[i, j] = i == j ? 0 : (w[i, j] + w[j, i]) / 2;
        return result;
    }

    private static double[] Degrees(double[,] w)
    {
        int n = w.GetLength(0);
        var degree = new double[n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) degree[i] += w[i, j];
        return degree;
    }

    private static double Deviation(double[] v, double[] stationary)
    {
        double largest = 0;
        for (int i = 0; i < v.Length; i++) largest = Math.Max(largest, Math.Abs(v[i] - stationary[i]));
        return largest;
    }
}
