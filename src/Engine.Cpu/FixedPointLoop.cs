using System.Numerics;
using System.Runtime.Intrinsics;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// scikit-learn's fixed-point loops over any <see cref="IDiffusionOperator"/>, with F kept as
/// (per-row log-scale, bounded row) so label mass far from the labels (1e-49 and less) survives float32:
/// <list type="bullet">
/// <item>spreading: <c>F &lt;- alpha S F + (1 - alpha) Y0</c>;</item>
/// <item>propagation: <c>F &lt;- T F</c>, rows divided by their sums (a zero sum stays zero), labeled rows reset to Y0.</item>
/// </list>
/// F is float64 whatever the engine's precision: it is only n x c, and sklearn's absolute L1 test
/// over all its entries would otherwise measure float32 rounding rather than convergence at large n.
/// At the top of each iteration the loop stops when <c>sum |F - F_prev| &lt; tol</c> (L1 over the whole
/// matrix, F_prev = 0 at the start); n_iter is the number of completed updates, or max_iter without
/// convergence. The distributions are the rows of F divided by their sums.
/// </summary>
internal static class FixedPointLoop
{
    private const int RowsPerBlock = 512;

    /// <summary>Row width of the F buffers for <paramref name="classes"/> classes: whole float64 vectors.</summary>
    public static int Width(int classes) => (classes + Vector256<double>.Count - 1) / Vector256<double>.Count * Vector256<double>.Count;

    /// <param name="start">Optional warm start (n x classes): unlabeled rows of F start there instead of at zero.</param>
    public static DiffusionResult Run(IDiffusionOperator op, ReadOnlySpan<int> classIndex, int classes,
        DiffusionOptions options, IProgress<StageProgress>? progress, CancellationToken cancellation, ReadOnlySpan<double> start = default)
    {
        int n = op.Rows;
        int padded = op.PaddedRows;
        int width = Width(classes);
        int[] labels = classIndex.ToArray();
        var current = new State(padded, width);
        var previous = new State(padded, width);
        for (int i = 0; i < n; i++)
            if (labels[i] >= 0)
            {
                current.Log[i] = 0;
                current.G[(long)i * width + labels[i]] = 1;
            }
            else if (!start.IsEmpty && start.Slice(i * classes, classes) is var row && row.IndexOfAnyExcept(0.0) >= 0)
            {
                double max = 0;
                foreach (double value in row) max = Math.Max(max, value);
                current.Log[i] = Math.Log(max);
                for (int k = 0; k < classes; k++) current.G[(long)i * width + k] = row[k] / max;
            }

        bool spreading = options.Model == DiffusionModel.Spreading;
        // With scikit-learn's cut, label mass below float64's range is dropped as float64 drops it.
        double smallestLog = options.Float64UnderflowCut ? -DiffusionOptions.Float64UnderflowExponent : double.NegativeInfinity;
        int blocks = (n + RowsPerBlock - 1) / RowsPerBlock;
        var partialChanges = new double[blocks];
        var parallel = new ParallelOptions { CancellationToken = cancellation };
        int iterations = 0;
        bool converged = false;
        for (; iterations < options.MaxIter; iterations++)
        {
            Parallel.For(0, blocks, parallel, block => partialChanges[block] = Change(current, previous, block, n, classes));
            double change = partialChanges.Sum();
            progress?.Report(new StageProgress("iterate", iterations, options.MaxIter, change));
            if (change < options.Tol)
            {
                converged = true;
                break;
            }
            (previous, current) = (current, previous);
            op.Apply(previous.Log, previous.G, width, current.Log, current.G, cancellation);
            Parallel.For(0, blocks, parallel, block =>
            {
                int end = Math.Min(n, (block + 1) * RowsPerBlock);
                for (int i = block * RowsPerBlock; i < end; i++)
                {
                    var g = current.G.AsSpan(i * width, classes);
                    if (spreading) SpreadingUpdate(ref current.Log[i], g, labels[i], options.Alpha, smallestLog);
                    else PropagationUpdate(ref current.Log[i], g, labels[i]);
                }
            });
        }
        if (!converged) progress?.Report(new StageProgress("iterate", options.MaxIter, options.MaxIter, double.NaN));
        return new DiffusionResult(Normalised(current, n, classes), n, classes, iterations, converged);
    }

    private sealed class State
    {
        public State(int rows, int width)
        {
            Log = new double[rows];
            Array.Fill(Log, double.NegativeInfinity);
            G = new double[(long)rows * width];
            Width = width;
        }

        /// <summary>l_i: F_i = exp(l_i) G_i; -inf for a zero row.</summary>
        public double[] Log { get; }
        public double[] G { get; }
        public int Width { get; }
    }

    /// <summary>sum over a block of rows of sum_k |F_ik - Fprev_ik|, in float64.</summary>
    private static double Change(State current, State previous, int block, int n, int classes)
    {
        double total = 0;
        int end = Math.Min(n, (block + 1) * RowsPerBlock);
        int width = current.Width;
        for (int i = block * RowsPerBlock; i < end; i++)
        {
            double scale = Math.Exp(current.Log[i]);
            double previousScale = Math.Exp(previous.Log[i]);
            if (scale == 0 && previousScale == 0) continue;
            var g = current.G.AsSpan(i * width, classes);
            var gPrevious = previous.G.AsSpan(i * width, classes);
            for (int k = 0; k < classes; k++)
                total += Math.Abs(scale * g[k] - previousScale * gPrevious[k]);
        }
        return total;
    }

    /// <summary>
    /// F_i = alpha exp(s) acc + (1 - alpha) Y0_i on entry (s, acc); leaves (log-scale, row) with the row's
    /// largest entry at most 2. A diffused row whose largest entry is below exp(<paramref name="smallestLog"/>)
    /// counts as zero.
    /// </summary>
    private static void SpreadingUpdate(ref double log, Span<double> g, int label, double alpha, double smallestLog)
    {
        double max = 0;
        foreach (double value in g) max = Math.Max(max, value);
        double diffused = double.IsNegativeInfinity(log) || max == 0 ? double.NegativeInfinity : log + Math.Log(alpha) + Math.Log(max);
        if (diffused < smallestLog) diffused = double.NegativeInfinity;
        if (label < 0)
        {
            Rescale(ref log, g, diffused, max);
            return;
        }
        double clamped = Math.Log(1 - alpha);
        double scale = Math.Max(diffused, clamped);
        double diffusedWeight = double.IsNegativeInfinity(diffused) ? 0 : Math.Exp(diffused - scale) / max;
        for (int k = 0; k < g.Length; k++) g[k] *= diffusedWeight;
        g[label] += Math.Exp(clamped - scale);
        log = scale;
    }

    /// <summary>
    /// An unlabeled row after the operator: <c>(diffused, G / largest)</c>, its largest magnitude 1, or the zero row
    /// <c>(-inf, 0)</c> when nothing reached it (<paramref name="diffused"/> = -inf).
    /// </summary>
    internal static void Rescale(ref double log, Span<double> g, double diffused, double largest)
    {
        if (double.IsNegativeInfinity(diffused))
        {
            log = double.NegativeInfinity;
            g.Clear();
            return;
        }
        log = diffused;
        double inverse = 1 / largest;
        for (int k = 0; k < g.Length; k++) g[k] *= inverse;
    }

    /// <summary>Divides the row (T F)_i by its sum (a zero row stays zero), then resets a labeled row to Y0.</summary>
    private static void PropagationUpdate(ref double log, Span<double> g, int label)
    {
        if (label >= 0)
        {
            g.Clear();
            g[label] = 1;
            log = 0;
            return;
        }
        double sum = 0;
        foreach (double value in g) sum += value;
        if (double.IsNegativeInfinity(log) || sum == 0)
        {
            log = double.NegativeInfinity;
            g.Clear();
            return;
        }
        for (int k = 0; k < g.Length; k++) g[k] /= sum;
        log = 0;
    }

    private static double[] Normalised(State state, int n, int classes)
    {
        var result = new double[(long)n * classes];
        Parallel.For(0, (n + RowsPerBlock - 1) / RowsPerBlock, block =>
        {
            int end = Math.Min(n, (block + 1) * RowsPerBlock);
            for (int i = block * RowsPerBlock; i < end; i++)
                DistributionRows.Normalise(state.G.AsSpan(i * state.Width, classes), result.AsSpan(i * classes, classes));
        });
        return result;
    }
}
