using System.Numerics;

namespace GpuSpread.IO;

/// <summary>
/// Reads a feature matrix from .npy (float32 kept as float32; float64, int8, uint8, int32 and int64 as
/// float64; a 1-D array of length n is n x 1), .csv or .csv.gz (comma-separated float64, optional header).
/// Every problem with the file is an <see cref="InputDataException"/> that starts with the path and says
/// where (line and column, or row and column) what was found and what is allowed.
/// </summary>
public static class FeatureReader
{
    private const string AllowedExtensions = ".npy, .csv or .csv.gz";

    /// <summary>Reads the feature matrix at <paramref name="path"/>, chosen by its extension (.npy, .csv or .csv.gz).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="InputDataException">the file is missing, unreadable, of another extension or malformed; the message starts with the path and says where.</exception>
    public static FeatureMatrix Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (InputFile.HasExtension(path, ".npy")) return ReadNpy(path);
        if (InputFile.HasExtension(path, ".csv")) return CsvFeatures.Read(path, gzip: false);
        if (InputFile.HasExtension(path, ".csv.gz")) return CsvFeatures.Read(path, gzip: true);
        throw InputFile.Fail(path, $"unsupported file extension '{Path.GetExtension(path)}'; features must be {AllowedExtensions}");
    }

    private static FeatureMatrix ReadNpy(string path)
    {
        using var stream = InputFile.OpenRead(path);
        var header = Npy.ReadHeader(stream, path);
        if (header.Shape.Length is < 1 or > 2)
            throw InputFile.Fail(path, $"features must be a 1-D or 2-D array, got shape {header.ShapeText}");
        int count = Npy.CheckDataLength(stream, header, path);
        long rows = header.Shape[0];
        long cols = header.Shape.Length == 2 ? header.Shape[1] : 1;
        if (rows == 0) throw InputFile.Fail(path, $"no data rows: the array has shape {header.ShapeText}");
        if (cols == 0) throw InputFile.Fail(path, $"no feature columns: the array has shape {header.ShapeText}");

        // Both are now at most count, so they fit an int.
        if (header.Type == NpyType.Float32)
        {
            float[] single = Npy.ReadSingle(stream, count);
            CheckFinite(path, single, (int)cols);
            return FeatureMatrix.FromSingle(single, (int)rows, (int)cols);
        }
        double[] data = Npy.ReadDouble(stream, header.Type, count);
        CheckFinite(path, data, (int)cols);
        return FeatureMatrix.FromDouble(data, (int)rows, (int)cols);
    }

    private static void CheckFinite<T>(string path, T[] data, int cols) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < data.Length; i++)
        {
            T value = data[i];
            if (T.IsFinite(value)) continue;
            string what = T.IsNaN(value) ? "NaN" : T.IsNegative(value) ? "-infinity" : "infinity";
            throw InputFile.Fail(path, $"row {i / cols}, column {i % cols} (0-based) is {what}; features must be finite numbers (no NaN or infinity)");
        }
    }
}
