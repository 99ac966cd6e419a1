using ILGPU.Algorithms;
using ILGPU;

namespace GpuSpread.Engine.Gpu.Kernels;

/// <summary>
/// The operators of a sparse W in CSR form with log-weights (the knn kernel's graph, a graph given as input, their
/// mix), in float64 on (log-scale, row) pairs, one thread per row: the CPU engine's CsrOperator.Apply. Spreading
/// leaves out the diagonal and weighs column j by exp(-log(d_j)/2); propagation keeps the diagonal (every such term
/// is 0 and its row factor is cancelled by the renormalisation). Also the mix of two operators' outputs.
/// </summary>
internal static class SparseKernels
{
    [Kernel(grouped: false)]
    public static void Apply(
        Index1D i,                        // row
        ArrayView<int> rowStart,          // n + 1 offsets into columns and logWeights
        ArrayView<int> columns,           // column of each entry
        ArrayView<double> logWeights,     // log W_ij of each entry
        ArrayView<double> halfLogInverse, // -log(d_j)/2 per row (zeros for propagation)
        ArrayView<double> logScale,       // l_j of F
        ArrayView<double> g,              // G rows of F, classes per row
        ArrayView<double> outLog,         // out: log-scale of (Op F)_i
        ArrayView<double> outSum,         // out: row of (Op F)_i, classes values
        int classes,                      // row width
        int spreading)                    // 1: spreading, 0: propagation
    {
        long start = (long)i.X * classes;
        if (i >= outLog.Length || i + 1 >= rowStart.Length || start + classes > outSum.Length) return;
        int first = rowStart[i], last = rowStart[i + 1];
        if (first < 0 || last > columns.Length || last > logWeights.Length) return;
        double max = double.NegativeInfinity;
        for (int e = first; e < last; e++)
        {
            int j = columns[e];
            if ((spreading != 0 && j == i) || j < 0 || j >= logScale.Length) continue;
            double exponent = logWeights[e] + logScale[j] + halfLogInverse[j];
            max = exponent > max ? exponent : max;
        }
        for (int c = 0; c < classes; c++) outSum[start + c] = 0;
        outLog[i] = max;
        if (max == double.NegativeInfinity) return;
        for (int e = first; e < last; e++)
        {
            int j = columns[e];
            if ((spreading != 0 && j == i) || j < 0 || j >= logScale.Length) continue;
            double weight = DeviceMath.Exp(logWeights[e] + logScale[j] + halfLogInverse[j] - max);
            long source = (long)j * classes;
            if (weight == 0 || source + classes > g.Length) continue;
            for (int c = 0; c < classes; c++) outSum[start + c] += DeviceMath.Multiply(weight, g[source + c]);
        }
        outLog[i] = max + halfLogInverse[i];
    }

    /// <summary>log of a row sum of W from an application to F = 1 (one column); -inf for an empty row.</summary>
    [Kernel(grouped: false)]
    public static void LogRowSums(
        Index1D i,                 // row
        ArrayView<double> outLog,  // the application's log-scales
        ArrayView<double> outSum,  // its one-column rows
        ArrayView<double> result)  // out: log row sums
    {
        if (i >= result.Length || i >= outSum.Length || i >= outLog.Length) return;
        double sum = outSum[i];
        result[i] = sum > 0 && outLog[i] != double.NegativeInfinity ? outLog[i] + DeviceMath.Log(sum) : double.NegativeInfinity;
    }

    /// <summary>
    /// <c>(1 - mu) A F + mu B F</c> from the two applications (the CPU engine's CombinedOperator.Apply): spreading mixes
    /// the two S as they are; propagation mixes the row-normalised T of each (their log row sums given), a row that one
    /// graph leaves empty taking all its weight from the other.
    /// </summary>
    [Kernel(grouped: false)]
    public static void Mix(
        Index1D i,                        // row
        ArrayView<double> outLog,         // in: A F's log-scales; out: the mix's
        ArrayView<double> outSum,         // in: A F's rows; out: the mix's
        ArrayView<double> otherLog,       // B F's log-scales
        ArrayView<double> otherSum,       // B F's rows
        ArrayView<double> firstLogRowSum, // log row sums of A's W (propagation)
        ArrayView<double> secondLogRowSum,// log row sums of B's W (propagation)
        double logFirst,                  // log(1 - mu)
        double logSecond,                 // log(mu)
        int classes,                      // row width
        int propagation)                  // 1: row-normalise each operator first
    {
        long start = (long)i.X * classes;
        if (i >= outLog.Length || i >= otherLog.Length || start + classes > outSum.Length || start + classes > otherSum.Length) return;
        double a = outLog[i], b = otherLog[i];
        double shareA = logFirst, shareB = logSecond;
        if (propagation != 0 && i < firstLogRowSum.Length && i < secondLogRowSum.Length)
        {
            bool emptyA = firstLogRowSum[i] == double.NegativeInfinity, emptyB = secondLogRowSum[i] == double.NegativeInfinity;
            a = emptyA ? double.NegativeInfinity : a - firstLogRowSum[i];
            b = emptyB ? double.NegativeInfinity : b - secondLogRowSum[i];
            if (emptyA) shareB = 0;
            if (emptyB) shareA = 0;
        }
        a += shareA;
        b += shareB;
        double max = a > b ? a : b;
        if (max == double.NegativeInfinity || XMath.IsNaN(max))
        {
            outLog[i] = double.NegativeInfinity;
            for (int c = 0; c < classes; c++) outSum[start + c] = 0;
            return;
        }
        double wa = a == double.NegativeInfinity ? 0 : DeviceMath.Exp(a - max);
        double wb = b == double.NegativeInfinity ? 0 : DeviceMath.Exp(b - max);
        for (int c = 0; c < classes; c++)
            outSum[start + c] = DeviceMath.Multiply(wa, outSum[start + c]) + DeviceMath.Multiply(wb, otherSum[start + c]);
        outLog[i] = max;
    }
}
