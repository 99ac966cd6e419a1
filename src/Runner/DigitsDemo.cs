using System.Globalization;
using System.IO.Compression;
using GpuSpread.Active;

namespace GpuSpread.Runner;

/// <summary>
/// The data of scikit-learn's example "Label Propagation digits active learning", as GpuSpread's issue sets it:
/// the bundled 1797 digits (examples/digits, embedded in the program), the 330 rows that
/// <c>np.random.RandomState(0).shuffle(np.arange(1797))</c> puts first, the first 10 of them labeled.
/// </summary>
public static class DigitsDemo
{
    public const int Subset = 330;
    public const int InitiallyLabeled = 10;
    public const double Gamma = 0.25;
    public const int MaxIter = 20;
    public const int Rounds = 5;
    public const int Batch = 5;
    public const int ImageSide = 8;

    /// <summary>The example's model settings (gamma 0.25, max_iter 20), in float64 so that the numbers are scikit-learn's.</summary>
    public static DiffusionOptions Defaults(DiffusionModel model) =>
        ModelCliOptions.ScikitLearnDefaults(model) with { Gamma = Gamma, MaxIter = MaxIter, Precision = Precision.Float64 };

    /// <summary>The subset's features (330 x 64, float64 pixel counts 0..16), labels to start from, answer key,
    /// and each subset row's index among the 1797 digits.</summary>
    public static (FeatureMatrix Features, long[] Labels, long[] Truth, int[] Indices) Load()
    {
        var (pixels, digits) = ReadBundled();
        int all = digits.Length, d = ImageSide * ImageSide;
        int[] indices = NumPyRandomState.Permutation(0, all)[..Subset];
        var x = new double[Subset * d];
        var truth = new long[Subset];
        var labels = new long[Subset];
        for (int i = 0; i < Subset; i++)
        {
            Array.Copy(pixels, indices[i] * d, x, i * d, d);
            truth[i] = digits[indices[i]];
            labels[i] = i < InitiallyLabeled ? truth[i] : LabelEncoding.Unlabeled;
        }
        return (FeatureMatrix.FromDouble(x, Subset, d), labels, truth, indices);
    }

    /// <summary>All 1797 digits: 64 pixel values per row, and the true digits.</summary>
    public static (double[] Pixels, long[] Digits) ReadBundled()
    {
        var assembly = typeof(DigitsDemo).Assembly;
        using var compressed = assembly.GetManifestResourceStream("digits/X.csv.gz")
            ?? throw new InvalidOperationException("the digits data is not embedded in this build of gpuspread");
        using var reader = new StreamReader(new GZipStream(compressed, CompressionMode.Decompress));
        var pixels = new List<double>(1797 * 64);
        string? line;
        while ((line = reader.ReadLine()) is not null)
            if (line.Length > 0)
                foreach (string cell in line.Split(',')) pixels.Add(double.Parse(cell, CultureInfo.InvariantCulture));

        using var labelStream = assembly.GetManifestResourceStream("digits/y_true.csv")
            ?? throw new InvalidOperationException("the digits labels are not embedded in this build of gpuspread");
        using var labelReader = new StreamReader(labelStream);
        var digits = new List<long>(1797);
        while ((line = labelReader.ReadLine()) is not null)
            if (line.Trim().Length > 0) digits.Add(long.Parse(line.Trim(), CultureInfo.InvariantCulture));
        if (pixels.Count != digits.Count * 64)
            throw new InvalidOperationException($"the embedded digits hold {pixels.Count} pixels for {digits.Count} labels");
        return ([.. pixels], [.. digits]);
    }
}
