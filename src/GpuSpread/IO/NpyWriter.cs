namespace GpuSpread.IO;

/// <summary>
/// Writes NumPy .npy files (format version 1.0, little-endian, C order), atomically (see <see cref="AtomicFile"/>):
/// matrices as float32 or float64, vectors as int32 or int64.
/// </summary>
public static class NpyWriter
{
    /// <summary>Writes a float32 matrix (<c>&lt;f4</c>, shape (rows, cols)).</summary>
    /// <param name="path">The file to write; replaced atomically if it exists.</param>
    /// <param name="data">rows x cols values, row-major.</param>
    /// <param name="rows">The first dimension.</param>
    /// <param name="cols">The second dimension.</param>
    /// <exception cref="ArgumentException">a negative size, or a length other than rows x cols.</exception>
    /// <exception cref="IOException">the file cannot be written; a file already at <paramref name="path"/> is left as it was.</exception>
    public static void Write(string path, float[] data, int rows, int cols) => WriteMatrix(path, "<f4", data, rows, cols);

    /// <summary>Writes a float64 matrix (<c>&lt;f8</c>, shape (rows, cols)).</summary>
    /// <param name="path">The file to write; replaced atomically if it exists.</param>
    /// <param name="data">rows x cols values, row-major.</param>
    /// <param name="rows">The first dimension.</param>
    /// <param name="cols">The second dimension.</param>
    /// <exception cref="ArgumentException">a negative size, or a length other than rows x cols.</exception>
    /// <exception cref="IOException">the file cannot be written; a file already at <paramref name="path"/> is left as it was.</exception>
    public static void Write(string path, double[] data, int rows, int cols) => WriteMatrix(path, "<f8", data, rows, cols);

    /// <summary>Writes an int32 vector (<c>&lt;i4</c>, shape (n,)).</summary>
    /// <param name="path">The file to write; replaced atomically if it exists.</param>
    /// <param name="vector">The values.</param>
    /// <exception cref="IOException">the file cannot be written.</exception>
    public static void Write(string path, int[] vector) => WriteArray(path, "<i4", vector, [VectorLength(vector)]);

    /// <summary>Writes an int64 vector (<c>&lt;i8</c>, shape (n,)): labels, predictions, classes.</summary>
    /// <param name="path">The file to write; replaced atomically if it exists.</param>
    /// <param name="vector">The values.</param>
    /// <exception cref="IOException">the file cannot be written.</exception>
    public static void Write(string path, long[] vector) => WriteArray(path, "<i8", vector, [VectorLength(vector)]);

    private static long VectorLength<T>(T[] vector)
    {
        ArgumentNullException.ThrowIfNull(vector);
        return vector.Length;
    }

    private static void WriteMatrix<T>(string path, string descr, T[] data, int rows, int cols) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        if (rows < 0 || cols < 0 || data.Length != (long)rows * cols)
            throw new ArgumentException($"a {rows} x {cols} matrix needs {(long)rows * cols} values, got {data.Length}", nameof(data));
        WriteArray(path, descr, data, [rows, cols]);
    }

    private static void WriteArray<T>(string path, string descr, T[] data, long[] shape) where T : unmanaged
    {
        byte[] header = Npy.BuildHeader(descr, shape);
        AtomicFile.WriteBytes(path, stream =>
        {
            stream.Write(header);
            Npy.WriteRaw(stream, data);
        });
    }
}
