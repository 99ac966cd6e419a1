using System.Numerics;
using System.Runtime.Intrinsics;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// scikit-learn's fixed-point loops over any <see cref="IDiffusionOperator{T}"/>, with F kept as
/// (per-row log-scale, bounded row) so label mass far from the labels (1e-49 and less) survives float32:
/// <list type="bullet">
/// <item>spreading: <c>F &lt;- alpha S F + (1 - alpha) Y0</c>;</item>
/// <item>propagation: <c>F &lt;- T F</c>, rows divided by their sums (a zero sum stays zero), labeled rows reset to Y0.</item>
/// </list>
/// At the top of each iteration the loop stops when <c>sum |F - F_prev| &lt; tol</c> (L1 over the whole
/// matrix, F_prev = 0 at the start); n_iter is the number of completed updates, or max_iter without
/// convergence. The distributions are the rows of F divided by their sums.
/// </summary>
internal static class FixedPointLoop
{
    private const int RowsPerBlock = 512;

    public static DiffusionResult Run<T>(IDiffusionOperator<T> op, ReadOnlySpan<int> classIndex, int classes,
        DiffusionOptions options, IProgress<StageProgress>? progress, CancellationToken cancellation)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = op.Rows;
        int padded = op.PaddedRows;
        int lanes = Vector256<T>.Count;
        int width = (classes + lanes - 1) / lanes * lanes;
        int[] labels = classIndex.ToArray();
        var current = new State<T>(padded, width);
        var previous = new State<T>(padded, width);
        for (int i = 0; i < n; i++)
            if (labels[i] >= 0)
            {
                current.Log[i] = T.Zero;
                current.G[(long)i * width + labels[i]] = T.One;
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

    private sealed class State<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public State(int rows, int width)
        {
            Log = new T[rows];
            Array.Fill(Log, T.NegativeInfinity);
            G = new T[(long)rows * width];
            Width = width;
        }

        /// <summary>l_i: F_i = exp(l_i) G_i; -inf for a zero row.</summary>
        public T[] Log { get; }
        public T[] G { get; }
        public int Width { get; }
    }

    /// <summary>sum over a block of rows of sum_k |F_ik - Fprev_ik|, in float64.</summary>
    private static double Change<T>(State<T> current, State<T> previous, int block, int n, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        int end = Math.Min(n, (block + 1) * RowsPerBlock);
        int width = current.Width;
        for (int i = block * RowsPerBlock; i < end; i++)
        {
            double scale = Math.Exp(double.CreateTruncating(current.Log[i]));
            double previousScale = Math.Exp(double.CreateTruncating(previous.Log[i]));
            if (scale == 0 && previousScale == 0) continue;
            var g = current.G.AsSpan(i * width, classes);
            var gPrevious = previous.G.AsSpan(i * width, classes);
            for (int k = 0; k < classes; k++)
                total += Math.Abs(scale * double.CreateTruncating(g[k]) - previousScale * double.CreateTruncating(gPrevious[k]));
        }
        return total;
    }

    /// <summary>
    /// F_i = alpha exp(s) acc + (1 - alpha) Y0_i on entry (s, acc); leaves (log-scale, row) with the row's
    /// largest entry at most 2. A diffused row whose largest entry is below exp(<paramref name="smallestLog"/>)
    /// counts as zero.
    /// </summary>
    private static void SpreadingUpdate<T>(ref T log, Span<T> g, int label, double alpha, double smallestLog)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = T.Zero;
        foreach (var value in g) max = T.Max(max, value);
        double diffused = T.IsNegativeInfinity(log) || max == T.Zero
            ? double.NegativeInfinity
            : double.CreateTruncating(log) + Math.Log(alpha) + double.CreateTruncating(T.Log(max));
        if (diffused < smallestLog) diffused = double.NegativeInfinity;
        if (label < 0)
        {
            if (double.IsNegativeInfinity(diffused))
            {
                log = T.NegativeInfinity;
                g.Clear();
                return;
            }
            log = T.CreateTruncating(diffused);
            T inverse = T.One / max;
            for (int k = 0; k < g.Length; k++) g[k] *= inverse;
            return;
        }
        double clamped = Math.Log(1 - alpha);
        double scale = Math.Max(diffused, clamped);
        T diffusedWeight = double.IsNegativeInfinity(diffused) ? T.Zero : T.CreateTruncating(Math.Exp(diffused - scale)) / max;
        for (int k = 0; k < g.Length; k++) g[k] *= diffusedWeight;
        g[label] += T.CreateTruncating(Math.Exp(clamped - scale));
        log = T.CreateTruncating(scale);
    }

    /// <summary>Divides the row (T F)_i by its sum (a zero row stays zero), then resets a labeled row to Y0.</summary>
    private static void PropagationUpdate<T>(ref T log, Span<T> g, int label)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (label >= 0)
        {
            g.Clear();
            g[label] = T.One;
            log = T.Zero;
            return;
        }
        T sum = T.Zero;
        foreach (var value in g) sum += value;
        if (T.IsNegativeInfinity(log) || sum == T.Zero)
        {
            log = T.NegativeInfinity;
            g.Clear();
            return;
        }
        for (int k = 0; k < g.Length; k++) g[k] /= sum;
        log = T.Zero;
    }

    private static double[] Normalised<T>(State<T> state, int n, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new double[(long)n * classes];
        Parallel.For(0, (n + RowsPerBlock - 1) / RowsPerBlock, block =>
        {
            int end = Math.Min(n, (block + 1) * RowsPerBlock);
            for (int i = block * RowsPerBlock; i < end; i++)
                NormaliseRow(state.G.AsSpan(i * state.Width, classes), result.AsSpan(i * classes, classes));
        });
        return result;
    }

    /// <summary>Divides a row by its sum in float64; an all-zero row stays all zero.</summary>
    public static void NormaliseRow<T>(ReadOnlySpan<T> row, Span<double> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sum = 0;
        foreach (var value in row) sum += double.CreateTruncating(value);
        if (sum == 0) sum = 1;
        for (int k = 0; k < row.Length; k++) destination[k] = double.CreateTruncating(row[k]) / sum;
    }
}
