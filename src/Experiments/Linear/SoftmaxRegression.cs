namespace GpuSpread.Experiments.Linear;

/// <summary>
/// Multinomial logistic regression with an L2 penalty on the weights (not the intercepts), fitted by
/// <see cref="Lbfgs"/>: it minimises <c>(1/m) sum_i -log softmax(x_i W + b)_{y_i} + (lambda / 2) ||W||^2</c>, which is
/// scikit-learn's <c>LogisticRegression(multi_class="multinomial", C = 1 / (lambda m))</c> (whose objective is that one
/// times C m). The linear base model of the citation benchmarks (and of SGC, on propagated features).
/// </summary>
internal sealed class SoftmaxRegression
{
    private SoftmaxRegression(int features, int classes, double[] weights, double[] intercepts, LbfgsResult fit)
    {
        Features = features;
        Classes = classes;
        Weights = weights;
        Intercepts = intercepts;
        Fit = fit;
    }

    public int Features { get; }
    public int Classes { get; }

    /// <summary>d x c, row-major.</summary>
    public double[] Weights { get; }

    public double[] Intercepts { get; }

    /// <summary>The optimiser's outcome (value, iterations, status).</summary>
    public LbfgsResult Fit { get; }

    /// <summary>Fits on the rows <paramref name="rows"/> of <paramref name="x"/> (n x d row-major) with classes <paramref name="y"/> (0..c-1).</summary>
    public static SoftmaxRegression Train(double[] x, int d, IReadOnlyList<int> rows, IReadOnlyList<int> y, int classes, double lambda,
        LbfgsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(y);
        if (rows.Count != y.Count) throw new ArgumentException($"{rows.Count} rows but {y.Count} classes", nameof(y));
        if (rows.Count == 0) throw new ArgumentException("no training rows", nameof(rows));
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), $"at least 2 classes are needed, got {classes}");
        if (!(lambda >= 0 && double.IsFinite(lambda))) throw new InvalidParameterException("lambda", lambda, "a float in the range [0, inf)");
        foreach (int c in y)
            if ((uint)c >= (uint)classes) throw new ArgumentException($"classes must be in 0..{classes - 1}, got {c}", nameof(y));
        int m = rows.Count;
        var xs = new double[m * d];
        for (int r = 0; r < m; r++) Array.Copy(x, (long)rows[r] * d, xs, (long)r * d, d);
        int weightCount = d * classes;
        var logits = new double[m * classes];

        double Objective(double[] theta, double[] gradient)
        {
            Array.Clear(gradient);
            Scores(xs, m, d, classes, theta, logits);
            double loss = 0;
            for (int r = 0; r < m; r++)
            {
                var z = logits.AsSpan(r * classes, classes);
                double max = double.NegativeInfinity;
                foreach (double v in z) max = Math.Max(max, v);
                double sum = 0;
                for (int c = 0; c < classes; c++) sum += Math.Exp(z[c] - max);
                double logSum = max + Math.Log(sum);
                loss += logSum - z[y[r]];
                // z becomes P - Y, scaled by 1/m.
                for (int c = 0; c < classes; c++) z[c] = (Math.Exp(z[c] - logSum) - (c == y[r] ? 1 : 0)) / m;
                var row = xs.AsSpan(r * d, d);
                for (int f = 0; f < d; f++)
                {
                    double value = row[f];
                    if (value == 0) continue;
                    var g = gradient.AsSpan(f * classes, classes);
                    for (int c = 0; c < classes; c++) g[c] += value * z[c];
                }
                for (int c = 0; c < classes; c++) gradient[weightCount + c] += z[c];
            }
            double penalty = 0;
            for (int k = 0; k < weightCount; k++)
            {
                penalty += theta[k] * theta[k];
                gradient[k] += lambda * theta[k];
            }
            return loss / m + 0.5 * lambda * penalty;
        }

        var fit = Lbfgs.Minimise(Objective, new double[weightCount + classes], options);
        return new SoftmaxRegression(d, classes, fit.X[..weightCount], fit.X[weightCount..], fit);
    }

    /// <summary>Class probabilities of every row of <paramref name="x"/> (n x d): n x c row-major.</summary>
    public double[] PredictProba(double[] x, int rows)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Length != (long)rows * Features) throw new ArgumentException($"expected {rows} x {Features} values, got {x.Length}", nameof(x));
        var theta = new double[Weights.Length + Classes];
        Weights.CopyTo(theta, 0);
        Intercepts.CopyTo(theta, Weights.Length);
        var result = new double[(long)rows * Classes];
        Scores(x, rows, Features, Classes, theta, result);
        for (int r = 0; r < rows; r++)
        {
            var z = result.AsSpan(r * Classes, Classes);
            double max = double.NegativeInfinity;
            foreach (double v in z) max = Math.Max(max, v);
            double sum = 0;
            for (int c = 0; c < Classes; c++) sum += z[c] = Math.Exp(z[c] - max);
            for (int c = 0; c < Classes; c++) z[c] /= sum;
        }
        return result;
    }

    /// <summary>logits = x W + b for <paramref name="rows"/> rows (skipping zero features: bag-of-words rows are sparse).</summary>
    private static void Scores(double[] x, int rows, int d, int classes, double[] theta, double[] logits)
    {
        int weightCount = d * classes;
        Parallel.For(0, rows, r =>
        {
            var z = logits.AsSpan(r * classes, classes);
            theta.AsSpan(weightCount, classes).CopyTo(z);
            var row = x.AsSpan(r * d, d);
            for (int f = 0; f < d; f++)
            {
                double value = row[f];
                if (value == 0) continue;
                var w = theta.AsSpan(f * classes, classes);
                for (int c = 0; c < classes; c++) z[c] += value * w[c];
            }
        });
    }
}
