namespace GpuSpread.Experiments.Linear;

/// <summary>Stopping rules of <see cref="Lbfgs"/>.</summary>
internal sealed record LbfgsOptions
{
    /// <summary>Correction pairs kept (m).</summary>
    public int Memory { get; init; } = 10;

    public int MaxIterations { get; init; } = 1000;

    /// <summary>Stop when the largest gradient component is at most this (scipy's pgtol).</summary>
    public double GradientTolerance { get; init; } = 1e-7;

    /// <summary>Stop when an iteration lowers f by less than this fraction of max(|f|, 1) (scipy's factr * eps).</summary>
    public double RelativeDecrease { get; init; } = 1e-13;
}

/// <summary>Whether <see cref="Lbfgs.Minimise"/> met a tolerance (a status, not an exception, as MathNet's solvers report).</summary>
internal enum LbfgsStatus { Converged, StoppedWithoutConvergence, LineSearchFailed }

internal sealed record LbfgsResult(double[] X, double Value, int Iterations, LbfgsStatus Status);

/// <summary>
/// Limited-memory BFGS (Nocedal and Wright, Numerical Optimization, algorithm 7.4 and 7.5): the two-loop recursion
/// over the last m steps, initial Hessian scaled by s'y / y'y, and a backtracking line search with the Armijo
/// condition (c1 = 1e-4) from the full step. A pair whose curvature s'y is not positive is not stored. Meant for
/// smooth convex objectives such as the L2-regularised softmax regression.
/// </summary>
internal static class Lbfgs
{
    /// <param name="objective">f(x), writing the gradient into its second argument.</param>
    public static LbfgsResult Minimise(Func<double[], double[], double> objective, double[] start, LbfgsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(start);
        options ??= new LbfgsOptions();
        int n = start.Length;
        var x = (double[])start.Clone();
        var gradient = new double[n];
        double value = objective(x, gradient);
        var s = new List<double[]>();
        var y = new List<double[]>();
        var rho = new List<double>();
        var direction = new double[n];
        var alphas = new double[options.Memory];
        var trial = new double[n];
        var trialGradient = new double[n];
        for (int iteration = 0; iteration < options.MaxIterations; iteration++)
        {
            if (MaxAbs(gradient) <= options.GradientTolerance) return new LbfgsResult(x, value, iteration, LbfgsStatus.Converged);

            // Two-loop recursion: direction = -H g.
            for (int i = 0; i < n; i++) direction[i] = -gradient[i];
            for (int k = s.Count - 1; k >= 0; k--)
            {
                alphas[k] = rho[k] * Dot(s[k], direction);
                Axpy(-alphas[k], y[k], direction);
            }
            double scale = s.Count == 0 ? 1 / Math.Max(1, Math.Sqrt(Dot(gradient, gradient))) : Dot(s[^1], y[^1]) / Dot(y[^1], y[^1]);
            for (int i = 0; i < n; i++) direction[i] *= scale;
            for (int k = 0; k < s.Count; k++)
            {
                double beta = rho[k] * Dot(y[k], direction);
                Axpy(alphas[k] - beta, s[k], direction);
            }
            double slope = Dot(gradient, direction);
            if (!(slope < 0))
            {
                // Not a descent direction (rounding): restart from steepest descent.
                s.Clear(); y.Clear(); rho.Clear();
                for (int i = 0; i < n; i++) direction[i] = -gradient[i] / Math.Max(1, Math.Sqrt(Dot(gradient, gradient)));
                slope = Dot(gradient, direction);
            }

            double step = 1, trialValue = double.NaN;
            bool accepted = false;
            for (int halving = 0; halving < 60; halving++)
            {
                for (int i = 0; i < n; i++) trial[i] = x[i] + step * direction[i];
                trialValue = objective(trial, trialGradient);
                if (double.IsFinite(trialValue) && trialValue <= value + 1e-4 * step * slope)
                {
                    accepted = true;
                    break;
                }
                step *= 0.5;
            }
            if (!accepted) return new LbfgsResult(x, value, iteration, LbfgsStatus.LineSearchFailed);

            var sk = new double[n];
            var yk = new double[n];
            for (int i = 0; i < n; i++)
            {
                sk[i] = trial[i] - x[i];
                yk[i] = trialGradient[i] - gradient[i];
            }
            double curvature = Dot(sk, yk);
            if (curvature > 1e-12 * Math.Sqrt(Dot(sk, sk) * Dot(yk, yk)))
            {
                if (s.Count == options.Memory)
                {
                    s.RemoveAt(0); y.RemoveAt(0); rho.RemoveAt(0);
                }
                s.Add(sk); y.Add(yk); rho.Add(1 / curvature);
            }
            double decrease = value - trialValue;
            Array.Copy(trial, x, n);
            Array.Copy(trialGradient, gradient, n);
            value = trialValue;
            if (decrease <= options.RelativeDecrease * Math.Max(Math.Abs(value), 1))
                return new LbfgsResult(x, value, iteration + 1, LbfgsStatus.Converged); // f no longer moves (scipy's ftol)
        }
        return new LbfgsResult(x, value, options.MaxIterations,
            MaxAbs(gradient) <= options.GradientTolerance ? LbfgsStatus.Converged : LbfgsStatus.StoppedWithoutConvergence);
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    private static void Axpy(double a, double[] x, double[] y)
    {
        for (int i = 0; i < y.Length; i++) y[i] += a * x[i];
    }

    private static double MaxAbs(double[] v)
    {
        double max = 0;
        foreach (double value in v) max = Math.Max(max, Math.Abs(value));
        return max;
    }
}
