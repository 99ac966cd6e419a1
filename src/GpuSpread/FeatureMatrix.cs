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

    public int Rows { get; }
    public int Cols { get; }
    public float[]? Single { get; }
    public double[]? Double { get; }

    public static FeatureMatrix FromSingle(float[] data, int rows, int cols)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckShape(data.Length, rows, cols);
        return new FeatureMatrix(rows, cols, data, null);
    }

    public static FeatureMatrix FromDouble(double[] data, int rows, int cols)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckShape(data.Length, rows, cols);
        return new FeatureMatrix(rows, cols, null, data);
    }

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
        var column = new double[sampleRows];
        for (int k = 0; k < Cols; k++)
        {
            for (int s = 0; s < sampleRows; s++) column[s] = this[(int)((long)s * Rows / sampleRows), k];
            Array.Sort(column);
            centre[k] = column[(sampleRows - 1) / 2];
        }
        return centre;
    }

    private static void CheckShape(long length, int rows, int cols)
    {
        if (rows < 0 || cols < 0)
            throw new ArgumentOutOfRangeException(nameof(rows), $"a matrix shape must not be negative, got {rows} x {cols}");
        if (length != (long)rows * cols)
            throw new ArgumentException($"a {rows} x {cols} matrix needs {(long)rows * cols} values, got {length}");
    }
}
