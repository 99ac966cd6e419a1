using ILGPU;

namespace GpuSpread.Engine.Gpu.Kernels;

/// <summary>
/// The knn operators over the fixed-width (ELL) neighbour lists, in float64 on (log-scale, row) pairs: the CPU
/// engine's KnnOperator.Apply, one thread per row. Row i holds ones at its k neighbours (itself among them), not
/// symmetrised; spreading leaves out the diagonal and weighs column j by exp(-log(in-degree_j)/2), propagation
/// keeps the diagonal and weighs every neighbour alike (its row factor is cancelled by the renormalisation).
/// </summary>
internal static class EllKernels
{
    [Kernel(grouped: false)]
    public static void Apply(
        Index1D i,                        // row
        ArrayView<int> neighbours,        // k neighbours per row
        ArrayView<double> halfLogInverse, // -log(in-degree)/2 per row (zeros for propagation)
        ArrayView<double> logScale,       // l_j of F
        ArrayView<double> g,              // G rows of F, classes per row
        ArrayView<double> outLog,         // out: log-scale of (Op F)_i
        ArrayView<double> outSum,         // out: row of (Op F)_i, classes values
        int k,                            // neighbours per row
        int classes,                      // row width
        int spreading)                    // 1: spreading, 0: propagation
    {
        long row = (long)i.X * k;
        long start = (long)i.X * classes;
        if (i >= outLog.Length || row + k > neighbours.Length || start + classes > outSum.Length) return;
        double max = double.NegativeInfinity;
        for (int n = 0; n < k; n++)
        {
            int j = neighbours[row + n];
            if ((spreading != 0 && j == i) || j < 0 || j >= logScale.Length) continue;
            double exponent = logScale[j] + halfLogInverse[j];
            max = exponent > max ? exponent : max;
        }
        for (int c = 0; c < classes; c++) outSum[start + c] = 0;
        outLog[i] = max;
        if (max == double.NegativeInfinity) return;
        for (int n = 0; n < k; n++)
        {
            int j = neighbours[row + n];
            if ((spreading != 0 && j == i) || j < 0 || j >= logScale.Length) continue;
            double weight = DeviceMath.Exp(logScale[j] + halfLogInverse[j] - max);
            long source = (long)j * classes;
            if (source + classes > g.Length) continue;
            for (int c = 0; c < classes; c++) outSum[start + c] += DeviceMath.Multiply(weight, g[source + c]);
        }
        outLog[i] = max + halfLogInverse[i];
    }
}
