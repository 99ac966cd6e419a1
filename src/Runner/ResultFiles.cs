using GpuSpread.IO;

namespace GpuSpread.Runner;

/// <summary>The format of a command's result files (<c>--output-format</c>).</summary>
public enum OutputFormat
{
    /// <summary>Text: one label per line; the classes on the first line, then one row of probabilities per sample.</summary>
    Csv,

    /// <summary>NumPy .npy (version 1.0, little-endian, C order): int64 labels, float64 probabilities, int64 classes.</summary>
    Npy,
}

/// <summary>
/// The predictions and probabilities of a fit, and of new rows (<c>spread --predict</c>), written into a result set in
/// the format asked for. CSV: <c>predictions.csv</c>, <c>distributions.csv</c>. NumPy: <c>predictions.npy</c> (int64, n),
/// <c>distributions.npy</c> (float64, n x c) and <c>classes.npy</c> (int64, c: the class of each column, which the CSV
/// keeps on its first line). New rows' files are the same with the prefix <c>new_</c>.
/// </summary>
public static class ResultFiles
{
    public static NameTable<OutputFormat> Formats { get; } = new((OutputFormat.Csv, "csv"), (OutputFormat.Npy, "npy"));

    /// <summary>The training rows' predictions and distributions (n x c row-major), with classes.npy in the npy format.</summary>
    public static void WriteFit(OutputSet set, OutputFormat format, long[] classes, long[] predictions, double[] distributions)
    {
        Write(set, format, "", classes, predictions, distributions);
        if (format == OutputFormat.Npy) NpyWriter.Write(set.File("classes.npy"), classes);
    }

    /// <summary>New rows' predictions and distributions (m x c row-major): new_predictions and new_distributions.</summary>
    public static void WriteNewRows(OutputSet set, OutputFormat format, ClassProbabilities probabilities)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        long[] classes = [.. probabilities.Classes];
        Write(set, format, "new_", classes, probabilities.MostProbable(), probabilities.AsSpan().ToArray());
    }

    private static void Write(OutputSet set, OutputFormat format, string prefix, long[] classes, long[] predictions, double[] distributions)
    {
        if (format == OutputFormat.Csv)
        {
            ResultWriter.WritePredictions(set.File($"{prefix}predictions.csv"), predictions);
            ResultWriter.WriteDistributions(set.File($"{prefix}distributions.csv"), classes, distributions, classes.Length);
        }
        else
        {
            NpyWriter.Write(set.File($"{prefix}predictions.npy"), predictions);
            NpyWriter.Write(set.File($"{prefix}distributions.npy"), distributions, predictions.Length, classes.Length);
        }
    }
}
