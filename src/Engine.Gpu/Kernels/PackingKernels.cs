using ILGPU;

namespace GpuSpread.Engine.Gpu.Kernels;

/// <summary>Rows laid out for the tiled kernels, and buffer fills.</summary>
internal static class PackingKernels
{
    /// <summary>
    /// Centres a row on the training centre (FeatureMatrix.PackingCentre, as the CPU engine does: integer
    /// data stays exact), rounds it to T, and takes its squared norm by FMAs over the features in order.
    /// </summary>
    [Kernel(grouped: false)]
    public static void Pack<T, TReal>(
        Index1D i,                  // row
        ArrayView<double> features, // the rows as read, row-major, float64
        ArrayView<double> centre,   // the training centre, one value per feature
        ArrayView<T> packed,        // out: the centred rows in T
        ArrayView<T> norms,         // out: their squared norms in T
        int dims)                   // features per row
        where T : unmanaged where TReal : struct, IReal<T>
    {
        if (i >= norms.Length) return;
        long start = (long)i.X * dims;
        T norm = TReal.Zero();
        for (int k = 0; k < dims && k < centre.Length; k++)
        {
            if (start + k >= packed.Length) break;
            T value = TReal.FromDouble(features[start + k] - centre[k]);
            packed[start + k] = value;
            norm = TReal.Fma(value, value, norm);
        }
        norms[i] = norm;
    }

    /// <summary>Sets every element of a buffer of T (the running maxima start at -inf).</summary>
    [Kernel(grouped: false)]
    public static void Fill<T, TReal>(
        Index1D i,           // element
        ArrayView<T> values, // the buffer
        T value)             // the value
        where T : unmanaged where TReal : struct, IReal<T>
    {
        if (i < values.Length) values[i] = value;
    }

    /// <summary>Sets every element of a float64 buffer.</summary>
    [Kernel(grouped: false)]
    public static void FillDouble(
        Index1D i,                // element
        ArrayView<double> values, // the buffer
        double value)             // the value
    {
        if (i < values.Length) values[i] = value;
    }

    /// <summary>Sets every element of an int buffer (empty candidate slots hold int.MaxValue).</summary>
    [Kernel(grouped: false)]
    public static void FillInt(
        Index1D i,             // element
        ArrayView<int> values, // the buffer
        int value)             // the value
    {
        if (i < values.Length) values[i] = value;
    }
}
