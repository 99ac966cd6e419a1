namespace GpuSpread.Engine.Cpu;

/// <summary>
/// Poisson learning's iteration over spreading's operator S (<see cref="PoissonLearning"/>): <c>z &lt;- S z + D^-1/2 b</c>
/// for the classes and <c>y &lt;- S y</c> for the random walk that decides when to stop, one more column of the same
/// state. F is held as the fixed-point loop holds it, a per-row log-scale and a bounded row (<c>z_i = exp(l_i) G_i</c>),
/// here with signed entries.
/// </summary>
internal static class PoissonLoop
{
    private const int RowsPerBlock = 512;

    public static DiffusionResult Run(IDiffusionOperator op, ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        int n = op.Rows;
        int walk = classes;
        int width = FixedPointLoop.Width(classes + 1);
        int[] labels = classIndex.ToArray();
        double[] mean = PoissonLearning.MeanLabel(labels, classes);
        var halfLogDegree = new double[n];
        for (int i = 0; i < n; i++) halfLogDegree[i] = op.HalfLogDegree(i);
        double logTotalDegree = PoissonLearning.LogSumOfDegrees(halfLogDegree);

        var log = new double[op.PaddedRows];
        var g = new double[(long)op.PaddedRows * width];
        var outLog = new double[op.PaddedRows];
        var outG = new double[(long)op.PaddedRows * width];
        Array.Fill(log, double.NegativeInfinity);
        Array.Fill(outLog, double.NegativeInfinity);
        PoissonLearning.StartWalk(labels, halfLogDegree, log, g, width, walk);

        int blocks = (n + RowsPerBlock - 1) / RowsPerBlock;
        var blockDeviation = new double[blocks];
        var parallel = new ParallelOptions { CancellationToken = cancellation };
        double deviation = double.PositiveInfinity;
        int iterations = 0;
        while (!PoissonLearning.RuleMet(iterations, deviation, n) && iterations < options.MaxIter)
        {
            progress?.Report(new StageProgress("iterate", iterations, options.MaxIter, deviation));
            op.Apply(log, g, width, outLog, outG, cancellation);
            Parallel.For(0, blocks, parallel, block =>
            {
                double largest = 0;
                int end = Math.Min(n, (block + 1) * RowsPerBlock);
                for (int i = block * RowsPerBlock; i < end; i++)
                {
                    var row = outG.AsSpan(i * width, classes + 1);
                    AddSource(ref outLog[i], row, labels[i], mean, -halfLogDegree[i]);
                    double v = double.IsNegativeInfinity(outLog[i]) ? 0 : Math.Exp(outLog[i] + halfLogDegree[i]) * row[walk];
                    double stationary = Math.Exp(2 * halfLogDegree[i] - logTotalDegree);
                    largest = Math.Max(largest, Math.Abs(v - stationary));
                }
                blockDeviation[block] = largest;
            });
            (log, outLog) = (outLog, log);
            (g, outG) = (outG, g);
            deviation = blockDeviation.Max();
            iterations++;
        }
        bool converged = PoissonLearning.RuleMet(iterations, deviation, n);
        if (!converged) progress?.Report(new StageProgress("iterate", options.MaxIter, options.MaxIter, deviation));
        return new DiffusionResult(PoissonLearning.Distributions(g, n, width, classes), n, classes, iterations, converged);
    }

    /// <summary>
    /// z_i = exp(s) acc + exp(sigma) (e_label - mean) on entry (s, acc), sigma = -log(d_i)/2, for a labeled row (the
    /// walk's column gets no source); leaves every row with its largest magnitude at most 2, a zero row at (-inf, 0).
    /// </summary>
    private static void AddSource(ref double log, Span<double> g, int label, double[] mean, double sigma)
    {
        double largest = 0;
        foreach (double value in g) largest = Math.Max(largest, Math.Abs(value));
        double diffused = double.IsNegativeInfinity(log) || largest == 0 ? double.NegativeInfinity : log + Math.Log(largest);
        if (label < 0)
        {
            FixedPointLoop.Rescale(ref log, g, diffused, largest);
            return;
        }
        double scale = Math.Max(diffused, sigma);
        double diffusedWeight = double.IsNegativeInfinity(diffused) ? 0 : Math.Exp(diffused - scale) / largest;
        double sourceWeight = Math.Exp(sigma - scale);
        for (int k = 0; k < g.Length; k++) g[k] *= diffusedWeight;
        for (int k = 0; k < mean.Length; k++) g[k] += sourceWeight * ((k == label ? 1 : 0) - mean[k]);
        log = scale;
    }
}
