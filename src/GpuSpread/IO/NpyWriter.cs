namespace GpuSpread.IO;

/// <summary>
/// Writes NumPy .npy files (format version 1.0, little-endian, C order), atomically (see <see cref="AtomicFile"/>):
/// matrices as float32 or float64, vectors as int32 or int64.
/// </summary>
public static class NpyWriter
{
    public static void Write(string path, float[] data, int rows, int cols) => WriteMatrix(path, "<f4", data, rows, cols);

    public static void Write(string path, double[] data, int rows, int cols) => WriteMatrix(path, "<f8", data, rows, cols);

    public static void Write(string path, int[] vector) => WriteArray(path, "<i4", vector, [VectorLength(vector)]);

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
