using System.Runtime.Intrinsics;

namespace GpuSpread;

/// <summary>
/// A dense row-major feature matrix held in the precision it was read or built in.
/// Exactly one of <see cref="Single"/> and <see cref="Double"/> is set; the conversions
/// to the other precision copy.
/// </summary>
public sealed class FeatureMatrix
{
    private FeatureMatrix(int rows, int cols, float[]? single, double[]? @double)
    {
        Rows = rows;
        Cols = cols;
        Single = single;
        Double = @double;
    }

    private RowScales? _scales;

    /// <summary>n, the number of rows (samples).</summary>
    public int Rows { get; }
    /// <summary>d, the number of columns (features per row).</summary>
    public int Cols { get; }
    /// <summary>The values as float32, row-major (n x d), when the matrix holds float32; null otherwise.</summary>
    public float[]? Single { get; }
    /// <summary>The values as float64, row-major (n x d), when the matrix holds float64; null otherwise.</summary>
    public double[]? Double { get; }

    /// <summary>Wraps float32 values, row-major, without copying them; the engines compute in the fit's <see cref="Precision"/>.</summary>
    /// <param name="data"><paramref name="rows"/> x <paramref name="cols"/> values, row after row; not to be changed while a fit uses them.</param>
    /// <param name="rows">n, at least 0.</param>
    /// <param name="cols">d, at least 0.</param>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    /// <exception cref="ArgumentException">a negative size (<see cref="ArgumentOutOfRangeException"/>), or a length other than rows x cols.</exception>
    public static FeatureMatrix FromSingle(float[] data, int rows, int cols)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckShape(data.Length, rows, cols);
        return new FeatureMatrix(rows, cols, data, null);
    }

    /// <summary>Wraps float64 values, row-major, without copying them.</summary>
    /// <param name="data"><paramref name="rows"/> x <paramref name="cols"/> values, row after row; not to be changed while a fit uses them.</param>
    /// <param name="rows">n, at least 0.</param>
    /// <param name="cols">d, at least 0.</param>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    /// <exception cref="ArgumentException">a negative size (<see cref="ArgumentOutOfRangeException"/>), or a length other than rows x cols.</exception>
    public static FeatureMatrix FromDouble(double[] data, int rows, int cols)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckShape(data.Length, rows, cols);
        return new FeatureMatrix(rows, cols, null, data);
    }

    /// <summary>The value at <paramref name="row"/>, <paramref name="col"/> (0-based), widened to float64.</summary>
    public double this[int row, int col] => Single is not null ? Single[(long)row * Cols + col] : Double![(long)row * Cols + col];

    /// <summary>The data as float32 (no copy when already float32).</summary>
    public float[] AsSingle()
    {
        if (Single is not null) return Single;
        var result = new float[Double!.Length];
        for (int i = 0; i < result.Length; i++) result[i] = (float)Double[i];
        return result;
    }

    /// <summary>The data as float64 (no copy when already float64).</summary>
    public double[] AsDouble()
    {
        if (Double is not null) return Double;
        var result = new double[Single!.Length];
        for (int i = 0; i < result.Length; i++) result[i] = Single[i];
        return result;
    }

    /// <summary>
    /// Each row's distance to <see cref="PackingCentre"/>, computed once per matrix: the precision checks of a fit ask
    /// for it several times. A matrix is not to be changed once fitted.
    /// </summary>
    internal RowScales Scales => LazyInitializer.EnsureInitialized(ref _scales, () => RowScales.Of(this));

    /// <summary>Rows the centre's medians are taken over: an evenly spaced sample, odd so that the median is an element.</summary>
    internal const int CentreSampleRows = 4095;

    /// <summary>
    /// The centre every engine packs this data set's rows (and new rows) with: per column, the median of an evenly spaced
    /// sample of rows. A median is one of the column's values, so integer-valued data (pixels, counts) stays exact in
    /// float32, and it is robust: one sentinel cell (1e8 for "missing") cannot move it, where it moves a mean far enough to
    /// cost every other row's distances their digits. Centring on it leaves only the rows far from the bulk with large
    /// squared norms, which <see cref="DistancePrecision"/> accounts for.
    /// </summary>
    internal double[] PackingCentre()
    {
        int sampleRows = Math.Min(Rows, CentreSampleRows);
        var centre = new double[Cols];
        if (sampleRows == 0) return centre;
        // A block of columns at a time, copied column-major (each column's median is then one selection in a contiguous
        // slice) from contiguous pieces of the sampled rows: a block's copy stays in cache.
        const int blockColumns = 32;
        Parallel.For(0, (Cols + blockColumns - 1) / blockColumns, () => new double[blockColumns * sampleRows], (block, _, columns) =>
        {
            int first = block * blockColumns, count = Math.Min(blockColumns, Cols - first);
            for (int s = 0; s < sampleRows; s++)
            {
                int row = (int)((long)s * Rows / sampleRows);
                for (int k = 0; k < count; k++) columns[k * sampleRows + s] = this[row, first + k];
            }
            for (int k = 0; k < count; k++) centre[first + k] = Select(columns.AsSpan(k * sampleRows, sampleRows), (sampleRows - 1) / 2);
            return columns;
        }, _ => { });
        return centre;
    }

    /// <summary>
    /// The value that would sit at <paramref name="rank"/> if <paramref name="values"/> were sorted (they are reordered):
    /// quickselect with a three-way partition, linear even when most values are equal (the zero pixels of images).
    /// </summary>
    private static double Select(Span<double> values, int rank)
    {
        int low = 0, high = values.Length - 1;
        while (low < high)
        {
            double a = values[low], b = values[low + (high - low) / 2], c = values[high];
            double pivot = Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));
            int less = low, scan = low, greater = high;
            while (scan <= greater)
            {
                if (values[scan] < pivot) Swap(values, less++, scan++);
                else if (values[scan] > pivot) Swap(values, scan, greater--);
                else scan++;
            }
            if (rank < less) high = less - 1;
            else if (rank > greater) low = greater + 1;
            else return pivot;
        }
        return values[low];

        static void Swap(Span<double> values, int i, int j) => (values[i], values[j]) = (values[j], values[i]);
    }

    /// <summary>The float64 squared distance of row <paramref name="row"/> to <paramref name="point"/>, by direct differences in feature order.</summary>
    internal double SquaredDistanceTo(int row, ReadOnlySpan<double> point) => Single is not null
        ? SquaredDistance<float, double>(Single.AsSpan(row * Cols, Cols), point)
        : SquaredDistance<double, double>(Double.AsSpan(row * Cols, Cols), point);

    /// <summary>The float64 squared distance of row <paramref name="row"/> to row <paramref name="otherRow"/> of <paramref name="other"/>, by direct differences (one fixed order of summation).</summary>
    internal double SquaredDistance(int row, FeatureMatrix other, int otherRow) => (Single, other.Single) switch
    {
        ({ } l, { } r) => SquaredDistance(l.AsSpan(row * Cols, Cols), r.AsSpan(otherRow * Cols, Cols)),
        ({ } l, null) => SquaredDistance<float, double>(l.AsSpan(row * Cols, Cols), other.Double.AsSpan(otherRow * Cols, Cols)),
        (null, { } r) => SquaredDistance<double, float>(Double.AsSpan(row * Cols, Cols), r.AsSpan(otherRow * Cols, Cols)),
        _ => SquaredDistance<double, double>(Double.AsSpan(row * Cols, Cols), other.Double.AsSpan(otherRow * Cols, Cols)),
    };

    /// <summary>float32 rows, widened to float64 eight features at a time (four partial sums, then the rest in order).</summary>
    private static double SquaredDistance(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        int vectorised = Vector256.IsHardwareAccelerated ? x.Length / Vector256<float>.Count * Vector256<float>.Count : 0;
        var sum = Vector256<double>.Zero;
        for (int f = 0; f < vectorised; f += Vector256<float>.Count)
        {
            var (xLow, xHigh) = Vector256.Widen(Vector256.Create(x.Slice(f, Vector256<float>.Count)));
            var (yLow, yHigh) = Vector256.Widen(Vector256.Create(y.Slice(f, Vector256<float>.Count)));
            var low = xLow - yLow;
            var high = xHigh - yHigh;
            sum += low * low + high * high;
        }
        double total = Vector256.Sum(sum);
        for (int f = vectorised; f < x.Length; f++)
        {
            double difference = (double)x[f] - y[f];
            total += difference * difference;
        }
        return total;
    }

    private static double SquaredDistance<TLeft, TRight>(ReadOnlySpan<TLeft> x, ReadOnlySpan<TRight> y)
        where TLeft : unmanaged, System.Numerics.INumberBase<TLeft> where TRight : unmanaged, System.Numerics.INumberBase<TRight>
    {
        double sum = 0;
        for (int f = 0; f < x.Length; f++)
        {
            double difference = double.CreateTruncating(x[f]) - double.CreateTruncating(y[f]);
            sum += difference * difference;
        }
        return sum;
    }

    private static void CheckShape(long length, int rows, int cols)
    {
        if (rows < 0 || cols < 0)
            throw new ArgumentOutOfRangeException(nameof(rows), $"a matrix shape must not be negative, got {rows} x {cols}");
        if (length != (long)rows * cols)
            throw new ArgumentException($"a {rows} x {cols} matrix needs {(long)rows * cols} values, got {length}");
    }
}
