using System.Runtime.CompilerServices;
using ILGPU;

namespace GpuSpread.Engine.Gpu.Kernels;

/// <summary>Which update <see cref="UpdateKernels.UpdateAndChange"/> applies before it measures the change.</summary>
internal enum UpdateRule
{
    /// <summary>None: only the L1 change between the two states (the first convergence test).</summary>
    None = 0,

    /// <summary>F = alpha S F + (1 - alpha) Y0.</summary>
    Spreading = 1,

    /// <summary>Rows of T F divided by their sums, labeled rows reset to Y0.</summary>
    Propagation = 2,
}

/// <summary>The scalar arguments of <see cref="UpdateKernels.UpdateAndChange"/>.</summary>
internal struct UpdateArgs
{
    public int Rows;
    public int Classes;

    /// <summary>An <see cref="UpdateRule"/>.</summary>
    public int Rule;

    public double LogAlpha;
    public double LogOneMinusAlpha;

    /// <summary>Diffused label mass whose largest entry is below exp(SmallestLog) counts as zero (-745.13 with the cut, -inf without).</summary>
    public double SmallestLog;
}

/// <summary>The scalar arguments of <see cref="UpdateKernels.PoissonUpdate"/>.</summary>
internal struct PoissonArgs
{
    public int Rows;

    /// <summary>Class columns; the random walk's column follows them (rows of Classes + 1 values).</summary>
    public int Classes;

    /// <summary>log of the sum of all degrees: the walk's stationary distribution is d_i / sum(d).</summary>
    public double LogTotalDegree;
}

/// <summary>
/// scikit-learn's updates on F held as (float64 log-scale, float64 row) per row, fused with the L1 change
/// <c>sum |F - F_prev|</c> that decides convergence. The change is reduced deterministically: each group sums
/// its rows in a fixed tree order in shared memory and writes one partial sum; <see cref="SumPartials"/> then adds
/// the partials in a fixed order in one group. No atomics, so n_iter is the same on every run.
/// </summary>
internal static class UpdateKernels
{
    /// <summary>Updates row i of the current state (from the operator's output) and writes the group's share of the change.</summary>
    [Kernel(grouped: true)]
    public static void UpdateAndChange(
        ArrayView<double> logScale,         // current l_i: on entry the operator's output, on exit the updated F
        ArrayView<double> g,                // current G rows, classes per row
        ArrayView<double> previousLog,      // previous l_i
        ArrayView<double> previousG,        // previous G rows
        ArrayView<int> labels,              // class index per row, -1 unlabeled
        ArrayView<double> partials,         // out: one partial change per group
        UpdateArgs args)                    // sizes and the rule's constants
    {
        var scratch = SharedMemory.GetDynamic<double>();
        int i = Grid.GlobalIndex.X;
        double change = 0;
        if (i < args.Rows && (long)(i + 1) * args.Classes <= g.Length && i < labels.Length)
        {
            long start = (long)i * args.Classes;
            if (args.Rule == (int)UpdateRule.Spreading) Spread(logScale, g, i, start, labels[i], args);
            else if (args.Rule == (int)UpdateRule.Propagation) Propagate(logScale, g, i, start, labels[i], args.Classes);
            change = RowChange(logScale, g, previousLog, previousG, i, start, args.Classes);
        }
        double total = GroupSum(scratch, change);
        if (Group.IdxX == 0 && Grid.IdxX < partials.Length) partials[Grid.IdxX] = total;
    }

    /// <summary>
    /// Poisson learning's update of row i (the CPU engine's PoissonLoop.AddSource): on entry the operator's output (S z)_i,
    /// on exit <c>z_i = (S z)_i + D_i^-1/2 (e_label - mean)</c> for a labeled row, every row scaled to its largest
    /// magnitude; writes the group's largest <c>|v_i - d_i / sum(d)|</c> of the walk's column (<c>v = D^1/2 y</c>).
    /// </summary>
    [Kernel(grouped: true)]
    public static void PoissonUpdate(
        ArrayView<double> logScale,       // l_i: on entry the operator's output, on exit the updated z
        ArrayView<double> g,              // G rows, Classes + 1 values per row (the walk last)
        ArrayView<int> labels,            // class index per row, -1 unlabeled
        ArrayView<double> halfLogDegree,  // log(d_i) / 2
        ArrayView<double> mean,           // the mean one-hot label, one value per class
        ArrayView<double> partials,       // out: one largest deviation per group
        PoissonArgs args)                 // sizes and the total degree
    {
        var scratch = SharedMemory.GetDynamic<double>();
        int i = Grid.GlobalIndex.X;
        int width = args.Classes + 1;
        double deviation = 0;
        if (i < args.Rows && (long)(i + 1) * width <= g.Length && i < labels.Length && i < halfLogDegree.Length)
        {
            long start = (long)i * width;
            double largest = 0;
            for (int c = 0; c < width; c++)
            {
                double magnitude = g[start + c] < 0 ? -g[start + c] : g[start + c];
                largest = magnitude > largest ? magnitude : largest;
            }
            double log = logScale[i];
            double diffused = log == double.NegativeInfinity || largest == 0 ? double.NegativeInfinity : log + DeviceMath.Log(largest);
            int label = labels[i];
            if (label < 0 || label >= args.Classes)
            {
                double inverse = diffused == double.NegativeInfinity ? 0 : 1 / largest;
                for (int c = 0; c < width; c++) g[start + c] = DeviceMath.Multiply(g[start + c], inverse);
                log = diffused;
            }
            else
            {
                double sigma = -halfLogDegree[i];
                double scale = diffused > sigma ? diffused : sigma;
                double diffusedWeight = diffused == double.NegativeInfinity ? 0 : DeviceMath.Exp(diffused - scale) / largest;
                double sourceWeight = DeviceMath.Exp(sigma - scale);
                for (int c = 0; c < width; c++) g[start + c] = DeviceMath.Multiply(g[start + c], diffusedWeight);
                for (int c = 0; c < args.Classes && c < mean.Length; c++)
                    g[start + c] += DeviceMath.Multiply(sourceWeight, (c == label ? 1.0 : 0.0) - mean[c]);
                log = scale;
            }
            logScale[i] = log;
            double v = log == double.NegativeInfinity ? 0 : DeviceMath.Multiply(DeviceMath.Exp(log + halfLogDegree[i]), g[start + args.Classes]);
            double difference = v - DeviceMath.Exp(2 * halfLogDegree[i] - args.LogTotalDegree);
            deviation = difference < 0 ? -difference : difference;
        }
        double group = GroupMax(scratch, deviation);
        if (Group.IdxX == 0 && Grid.IdxX < partials.Length) partials[Grid.IdxX] = group;
    }

    /// <summary>One group takes the largest of the partial maxima into result[0].</summary>
    [Kernel(grouped: true)]
    public static void MaxPartials(
        ArrayView<double> partials, // the groups' partial maxima (non-negative)
        ArrayView<double> result,   // out: result[0], the largest
        int count)                  // partials to compare
    {
        var scratch = SharedMemory.GetDynamic<double>();
        double largest = 0;
        for (int p = Group.IdxX; p < count && p < partials.Length; p += Group.DimX) largest = partials[p] > largest ? partials[p] : largest;
        double total = GroupMax(scratch, largest);
        if (Group.IdxX == 0 && result.Length > 0) result[0] = total;
    }

    /// <summary>The largest value over the group (the group size is a power of two).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double GroupMax(ArrayView<double> scratch, double value)
    {
        int t = Group.IdxX;
        scratch[t] = value;
        Group.Barrier();
        for (int half = Group.DimX / 2; half > 0; half /= 2)
        {
            if (t < half && scratch[t + half] > scratch[t]) scratch[t] = scratch[t + half];
            Group.Barrier();
        }
        return scratch[0];
    }

    /// <summary>One group adds the partial sums (each thread a strided run, then the tree) into result[0].</summary>
    [Kernel(grouped: true)]
    public static void SumPartials(
        ArrayView<double> partials, // the groups' partial changes
        ArrayView<double> result,   // out: result[0], the L1 change
        int count)                  // partials to add
    {
        var scratch = SharedMemory.GetDynamic<double>();
        double sum = 0;
        for (int p = Group.IdxX; p < count && p < partials.Length; p += Group.DimX) sum += partials[p];
        double total = GroupSum(scratch, sum);
        if (Group.IdxX == 0 && result.Length > 0) result[0] = total;
    }

    /// <summary>The sum over the group in a fixed tree order (the group size is a power of two).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double GroupSum(ArrayView<double> scratch, double value)
    {
        int t = Group.IdxX;
        scratch[t] = value;
        Group.Barrier();
        for (int half = Group.DimX / 2; half > 0; half /= 2)
        {
            if (t < half) scratch[t] += scratch[t + half];
            Group.Barrier();
        }
        return scratch[0];
    }

    /// <summary>sum_k |exp(l) g_k - exp(l_prev) g_prev,k| for one row (0 when both scales underflow).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double RowChange(ArrayView<double> logScale, ArrayView<double> g, ArrayView<double> previousLog,
        ArrayView<double> previousG, int i, long start, int classes)
    {
        double scale = DeviceMath.Exp(logScale[i]);
        double previousScale = DeviceMath.Exp(previousLog[i]);
        if (scale == 0 && previousScale == 0) return 0;
        double total = 0;
        for (int c = 0; c < classes; c++)
        {
            double difference = DeviceMath.Multiply(scale, g[start + c]) - DeviceMath.Multiply(previousScale, previousG[start + c]);
            total += difference < 0 ? -difference : difference;
        }
        return total;
    }

    /// <summary>
    /// The CPU engine's SpreadingUpdate: on entry (s, acc) = the operator's output, F_i = alpha exp(s) acc +
    /// (1 - alpha) Y0_i; leaves the row's largest entry at most 2. Diffused mass below exp(SmallestLog) counts as zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Spread(ArrayView<double> logScale, ArrayView<double> g, int i, long start, int label, UpdateArgs args)
    {
        double max = 0;
        for (int c = 0; c < args.Classes; c++) max = g[start + c] > max ? g[start + c] : max;
        double log = logScale[i];
        double diffused = log == double.NegativeInfinity || max == 0 ? double.NegativeInfinity : log + args.LogAlpha + DeviceMath.Log(max);
        if (diffused < args.SmallestLog) diffused = double.NegativeInfinity;
        if (label < 0)
        {
            if (diffused == double.NegativeInfinity)
            {
                logScale[i] = double.NegativeInfinity;
                for (int c = 0; c < args.Classes; c++) g[start + c] = 0;
                return;
            }
            logScale[i] = diffused;
            double inverse = 1 / max;
            for (int c = 0; c < args.Classes; c++) g[start + c] = DeviceMath.Multiply(g[start + c], inverse);
            return;
        }
        double clamped = args.LogOneMinusAlpha;
        double scale = diffused > clamped ? diffused : clamped;
        double diffusedWeight = diffused == double.NegativeInfinity ? 0 : DeviceMath.Exp(diffused - scale) / max;
        for (int c = 0; c < args.Classes; c++) g[start + c] = DeviceMath.Multiply(g[start + c], diffusedWeight);
        if (label < args.Classes) g[start + label] += DeviceMath.Exp(clamped - scale);
        logScale[i] = scale;
    }

    /// <summary>The CPU engine's PropagationUpdate: divides (T F)_i by its sum (a zero row stays zero), then resets a labeled row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Propagate(ArrayView<double> logScale, ArrayView<double> g, int i, long start, int label, int classes)
    {
        if (label >= 0)
        {
            for (int c = 0; c < classes; c++) g[start + c] = 0;
            if (label < classes) g[start + label] = 1;
            logScale[i] = 0;
            return;
        }
        double sum = 0;
        for (int c = 0; c < classes; c++) sum += g[start + c];
        if (logScale[i] == double.NegativeInfinity || sum == 0)
        {
            logScale[i] = double.NegativeInfinity;
            for (int c = 0; c < classes; c++) g[start + c] = 0;
            return;
        }
        for (int c = 0; c < classes; c++) g[start + c] = g[start + c] / sum;
        logScale[i] = 0;
    }
}
