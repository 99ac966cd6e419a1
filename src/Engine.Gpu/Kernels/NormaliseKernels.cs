using System.Runtime.CompilerServices;
using ILGPU;

namespace GpuSpread.Engine.Gpu.Kernels;

/// <summary>The final distributions: each row of G divided by its sum (an all-zero row stays all zero).</summary>
internal static class NormaliseKernels
{
    [Kernel(grouped: false)]
    public static void Normalise(
        Index1D i,                   // row
        ArrayView<double> g,         // G rows, classes per row
        ArrayView<double> result,    // out: the normalised rows
        int classes)                 // row width
    {
        long start = (long)i.X * classes;
        if (start + classes > g.Length || start + classes > result.Length) return;
        double sum = 0;
        for (int c = 0; c < classes; c++) sum += g[start + c];
        if (sum == 0) sum = 1;
        for (int c = 0; c < classes; c++) result[start + c] = g[start + c] / sum;
    }

    /// <summary>Divides a row by its sum in place (the CPU engine's NormaliseRow).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void NormaliseInPlace(ArrayView<double> values, long start, int count)
    {
        double sum = 0;
        for (int c = 0; c < count; c++) sum += values[start + c];
        if (sum == 0) sum = 1;
        for (int c = 0; c < count; c++) values[start + c] = values[start + c] / sum;
    }
}
