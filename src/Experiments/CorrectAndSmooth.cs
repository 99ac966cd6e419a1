namespace GpuSpread.Experiments;

/// <summary>Parameters of <see cref="CorrectAndSmooth"/>, with the names of Huang et al.'s paper.</summary>
public sealed record CorrectAndSmoothOptions
{
    /// <summary>alpha_1: how far the training residuals spread (the "correct" step).</summary>
    public double CorrectAlpha { get; init; } = 0.9;

    public int CorrectIterations { get; init; } = 50;

    /// <summary>alpha_2: how far the corrected predictions, training rows set to their labels, spread (the "smooth" step).</summary>
    public double SmoothAlpha { get; init; } = 0.9;

    public int SmoothIterations { get; init; } = 50;

    /// <summary>
    /// True: the "autoscale" correction, each row's spread residual rescaled to the training rows' mean residual L1
    /// norm; false: the "FDiff-scale" one, residuals spread with the training rows held at their residual, times <see cref="Scale"/>.
    /// </summary>
    public bool Autoscale { get; init; } = true;

    public double Scale { get; init; } = 1;

    public void Validate()
    {
        if (!(CorrectAlpha >= 0 && CorrectAlpha <= 1)) throw new InvalidParameterException("correct_alpha", CorrectAlpha, "a float in the range [0, 1]");
        if (!(SmoothAlpha >= 0 && SmoothAlpha <= 1)) throw new InvalidParameterException("smooth_alpha", SmoothAlpha, "a float in the range [0, 1]");
        if (CorrectIterations < 0) throw new InvalidParameterException("correct_iterations", CorrectIterations, "an int in the range [0, inf)");
        if (SmoothIterations < 0) throw new InvalidParameterException("smooth_iterations", SmoothIterations, "an int in the range [0, inf)");
        if (!(Scale >= 0 && double.IsFinite(Scale))) throw new InvalidParameterException("scale", Scale, "a float in the range [0, inf)");
    }
}

/// <summary>
/// Correct-and-Smooth (Huang, He, Singh, Lim and Benson, "Combining Label Propagation and Simple Models
/// Out-performs Graph Neural Networks", ICLR 2021), on a base model's class probabilities Z (n x c), following
/// PyTorch Geometric's CorrectAndSmooth:
/// <list type="number">
/// <item>correct: E = Y - Z on the training rows, 0 elsewhere; spread it, <c>E &lt;- a1 S E + (1 - a1) E0</c>, values
/// clamped to [-1, 1] after each step (autoscale), then <c>Z' = Z + sigma E / ||E_i||_1</c> with sigma the mean L1
/// norm of the training residuals (a row scale above 1000 or infinite counts as 1); or (FDiff-scale) training rows
/// held at their residual after each step and <c>Z' = Z + scale E</c>;</item>
/// <item>smooth: G = Z' with the training rows set to their one-hot labels; <c>G &lt;- a2 S G + (1 - a2) G0</c>, clamped
/// to [0, 1] after each step.</item>
/// </list>
/// S is the symmetrically normalised adjacency without self-loops (<see cref="NormalisedAdjacency"/>).
/// </summary>
internal static class CorrectAndSmooth
{
    public static double[] Correct(NormalisedAdjacency s, double[] z, int classes, IReadOnlyList<int> trainRows, IReadOnlyList<int> trainClasses,
        CorrectAndSmoothOptions options)
    {
        Check(s, z, classes, trainRows, trainClasses);
        var error = new double[z.Length];
        for (int t = 0; t < trainRows.Count; t++)
            for (int c = 0; c < classes; c++)
            {
                long at = (long)trainRows[t] * classes + c;
                error[at] = (c == trainClasses[t] ? 1 : 0) - z[at];
            }
        var result = (double[])z.Clone();
        if (options.Autoscale)
        {
            var smoothed = s.Spread(error, classes, options.CorrectAlpha, options.CorrectIterations, e => Clamp(e, -1, 1));
            double sigma = 0;
            foreach (int row in trainRows)
                for (int c = 0; c < classes; c++) sigma += Math.Abs(error[(long)row * classes + c]);
            sigma /= trainRows.Count;
            for (int i = 0; i < s.Nodes; i++)
            {
                var e = smoothed.AsSpan(i * classes, classes);
                double norm = 0;
                foreach (double v in e) norm += Math.Abs(v);
                double scale = sigma / norm;
                if (double.IsInfinity(scale) || double.IsNaN(scale) || scale > 1000) scale = 1;
                for (int c = 0; c < classes; c++) result[(long)i * classes + c] += scale * e[c];
            }
            return result;
        }
        var held = s.Spread(error, classes, options.CorrectAlpha, options.CorrectIterations, e =>
        {
            foreach (int row in trainRows) error.AsSpan(row * classes, classes).CopyTo(e.AsSpan(row * classes, classes));
        });
        for (int k = 0; k < result.Length; k++) result[k] += options.Scale * held[k];
        return result;
    }

    public static double[] Smooth(NormalisedAdjacency s, double[] z, int classes, IReadOnlyList<int> trainRows, IReadOnlyList<int> trainClasses,
        CorrectAndSmoothOptions options)
    {
        Check(s, z, classes, trainRows, trainClasses);
        var g = (double[])z.Clone();
        for (int t = 0; t < trainRows.Count; t++)
            for (int c = 0; c < classes; c++) g[(long)trainRows[t] * classes + c] = c == trainClasses[t] ? 1 : 0;
        return s.Spread(g, classes, options.SmoothAlpha, options.SmoothIterations, e => Clamp(e, 0, 1));
    }

    /// <summary>Both steps: the final scores (n x c; the largest is the prediction).</summary>
    public static double[] Run(NormalisedAdjacency s, double[] z, int classes, IReadOnlyList<int> trainRows, IReadOnlyList<int> trainClasses,
        CorrectAndSmoothOptions options)
    {
        options.Validate();
        return Smooth(s, Correct(s, z, classes, trainRows, trainClasses, options), classes, trainRows, trainClasses, options);
    }

    private static void Check(NormalisedAdjacency s, double[] z, int classes, IReadOnlyList<int> trainRows, IReadOnlyList<int> trainClasses)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(z);
        ArgumentNullException.ThrowIfNull(trainRows);
        ArgumentNullException.ThrowIfNull(trainClasses);
        if (z.Length != (long)s.Nodes * classes) throw new ArgumentException($"Z must be {s.Nodes} x {classes}", nameof(z));
        if (trainRows.Count != trainClasses.Count) throw new ArgumentException("one class per training row", nameof(trainClasses));
        if (trainRows.Count == 0) throw new ArgumentException("no training rows", nameof(trainRows));
    }

    private static void Clamp(double[] values, double low, double high)
    {
        for (int k = 0; k < values.Length; k++) values[k] = Math.Clamp(values[k], low, high);
    }
}
