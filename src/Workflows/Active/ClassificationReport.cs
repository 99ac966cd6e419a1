using System.Globalization;
using System.Numerics;
using System.Text;

namespace GpuSpread.Active;

/// <summary>
/// scikit-learn's <c>classification_report</c> and <c>confusion_matrix</c> (1.2.1) for a single-label task:
/// per label (the sorted union of true and predicted labels) precision, recall, f1 and support; accuracy;
/// macro and weighted averages. A zero denominator gives 0, as scikit-learn's default
/// <c>zero_division="warn"</c> does. The arithmetic follows scikit-learn's order of operations and NumPy's
/// pairwise sums, and <see cref="Format"/> rounds like Python's <c>format</c>, so the text is identical to
/// what scikit-learn prints (checked against its output in tests/fixtures/active).
/// </summary>
public sealed class ClassificationReport
{
    private ClassificationReport(long[] labels, long[,] confusion)
    {
        Labels = labels;
        Confusion = confusion;
        int c = labels.Length;
        var truePositives = new long[c];
        var predictedCounts = new long[c];
        Support = new long[c];
        for (int t = 0; t < c; t++)
            for (int p = 0; p < c; p++)
            {
                Support[t] += confusion[t, p];
                predictedCounts[p] += confusion[t, p];
            }
        for (int k = 0; k < c; k++) truePositives[k] = confusion[k, k];
        Precision = new double[c];
        Recall = new double[c];
        F1 = new double[c];
        for (int k = 0; k < c; k++)
        {
            Precision[k] = Divide(truePositives[k], predictedCounts[k]);
            Recall[k] = Divide(truePositives[k], Support[k]);
            F1[k] = FScore(Precision[k], Recall[k]);
        }
        Total = Support.Sum();
        long correct = truePositives.Sum();
        Accuracy = Divide(correct, Total);
        // The "accuracy" line shows the micro-averaged f1, which scikit-learn computes from micro precision and recall.
        MicroF1 = FScore(Divide(correct, predictedCounts.Sum()), Divide(correct, Total));
        MacroPrecision = NumPySum(Precision) / c;
        MacroRecall = NumPySum(Recall) / c;
        MacroF1 = NumPySum(F1) / c;
        double weights = Total;
        WeightedPrecision = Weighted(Precision, Support, weights);
        WeightedRecall = Weighted(Recall, Support, weights);
        WeightedF1 = Weighted(F1, Support, weights);
    }

    /// <summary>The sorted union of true and predicted labels: the rows and columns of <see cref="Confusion"/>.</summary>
    public long[] Labels { get; }

    /// <summary>Counts: rows are true labels, columns predicted labels, both in <see cref="Labels"/> order.</summary>
    public long[,] Confusion { get; }

    /// <summary>Per label in <see cref="Labels"/> order: right predictions of it over all predictions of it (0 when it is never predicted).</summary>
    public double[] Precision { get; }
    /// <summary>Per label: right predictions of it over its true rows (0 when it has none).</summary>
    public double[] Recall { get; }
    /// <summary>Per label: the harmonic mean of precision and recall (0 when both are 0).</summary>
    public double[] F1 { get; }
    /// <summary>Per label: its true rows.</summary>
    public long[] Support { get; }
    /// <summary>All rows.</summary>
    public long Total { get; }

    /// <summary>The fraction of rows whose prediction is the true label.</summary>
    public double Accuracy { get; }

    /// <summary>What scikit-learn prints on its accuracy line (equal to <see cref="Accuracy"/> up to rounding).</summary>
    public double MicroF1 { get; }

    /// <summary>The unweighted mean of <see cref="Precision"/> over the labels.</summary>
    public double MacroPrecision { get; }
    /// <summary>The unweighted mean of <see cref="Recall"/> over the labels.</summary>
    public double MacroRecall { get; }
    /// <summary>The unweighted mean of <see cref="F1"/> over the labels.</summary>
    public double MacroF1 { get; }
    /// <summary>The mean of <see cref="Precision"/> weighted by <see cref="Support"/>.</summary>
    public double WeightedPrecision { get; }
    /// <summary>The mean of <see cref="Recall"/> weighted by <see cref="Support"/>.</summary>
    public double WeightedRecall { get; }
    /// <summary>The mean of <see cref="F1"/> weighted by <see cref="Support"/>.</summary>
    public double WeightedF1 { get; }

    /// <summary>The report for <paramref name="truth"/> against <paramref name="predicted"/> (same length, at least one row).</summary>
    public static ClassificationReport Compute(IReadOnlyList<long> truth, IReadOnlyList<long> predicted)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        if (truth.Count != predicted.Count)
            throw new ArgumentException($"{truth.Count} true labels but {predicted.Count} predictions; they must be as many", nameof(predicted));
        if (truth.Count == 0) throw new ArgumentException("a classification report needs at least one row", nameof(truth));
        long[] labels = [.. truth.Concat(predicted).Distinct().Order()];
        var confusion = new long[labels.Length, labels.Length];
        for (int i = 0; i < truth.Count; i++)
            confusion[Array.BinarySearch(labels, truth[i]), Array.BinarySearch(labels, predicted[i])]++;
        return new ClassificationReport(labels, confusion);
    }

    /// <summary>The text <c>sklearn.metrics.classification_report(y_true, y_pred, digits=digits)</c> returns.</summary>
    public string Format(int digits = 2)
    {
        string[] names = [.. Labels.Select(l => l.ToString(CultureInfo.InvariantCulture))];
        int width = Math.Max(Math.Max(names.Max(n => n.Length), "weighted avg".Length), digits);
        var text = new StringBuilder();
        text.Append(new string(' ', width)).Append(' ');
        foreach (string header in (string[])["precision", "recall", "f1-score", "support"]) text.Append(' ').Append(header.PadLeft(9));
        text.Append("\n\n");
        for (int k = 0; k < Labels.Length; k++)
            Row(text, names[k], Precision[k], Recall[k], F1[k], Support[k], width, digits);
        text.Append('\n');
        text.Append("accuracy".PadLeft(width)).Append(' ')
            .Append(' ').Append(new string(' ', 9)).Append(' ').Append(new string(' ', 9))
            .Append(' ').Append(PythonFormat.Fixed(MicroF1, digits).PadLeft(9))
            .Append(' ').Append(Total.ToString(CultureInfo.InvariantCulture).PadLeft(9)).Append('\n');
        Row(text, "macro avg", MacroPrecision, MacroRecall, MacroF1, Total, width, digits);
        Row(text, "weighted avg", WeightedPrecision, WeightedRecall, WeightedF1, Total, width, digits);
        return text.ToString();
    }

    /// <summary>The confusion matrix as NumPy prints an integer array (<c>print(cm)</c>), one row per line.</summary>
    public string FormatConfusionMatrix()
    {
        int c = Labels.Length;
        int width = 1;
        foreach (long count in Confusion) width = Math.Max(width, count.ToString(CultureInfo.InvariantCulture).Length);
        var text = new StringBuilder("[");
        for (int t = 0; t < c; t++)
        {
            if (t > 0) text.Append("\n ");
            text.Append('[');
            for (int p = 0; p < c; p++)
            {
                if (p > 0) text.Append(' ');
                text.Append(Confusion[t, p].ToString(CultureInfo.InvariantCulture).PadLeft(width));
            }
            text.Append(']');
        }
        return text.Append(']').ToString();
    }

    private static void Row(StringBuilder text, string name, double precision, double recall, double f1, long support, int width, int digits)
    {
        text.Append(name.PadLeft(width)).Append(' ');
        foreach (double value in (double[])[precision, recall, f1]) text.Append(' ').Append(PythonFormat.Fixed(value, digits).PadLeft(9));
        text.Append(' ').Append(support.ToString(CultureInfo.InvariantCulture).PadLeft(9)).Append('\n');
    }

    private static double Divide(long numerator, long denominator) => denominator == 0 ? 0 : (double)numerator / denominator;

    /// <summary>scikit-learn's f-score with beta = 1: <c>(1 + beta2) * precision * recall / denom</c>, a zero denominator read as 1.</summary>
    private static double FScore(double precision, double recall)
    {
        double denominator = 1 * precision + recall;
        if (denominator == 0) denominator = 1;
        return 2 * precision * recall / denominator;
    }

    /// <summary><c>np.average(values, weights=weights)</c>: the pairwise sum of the products over the sum of the weights.</summary>
    private static double Weighted(double[] values, long[] weights, double weightSum)
    {
        if (weightSum == 0) return 0;
        var products = new double[values.Length];
        for (int k = 0; k < values.Length; k++) products[k] = values[k] * weights[k];
        return NumPySum(products) / weightSum;
    }

    /// <summary>NumPy's pairwise summation (<c>np.add.reduce</c> on a contiguous float64 array).</summary>
    public static double NumPySum(ReadOnlySpan<double> values)
    {
        int n = values.Length;
        if (n < 8)
        {
            double sum = 0;
            foreach (double value in values) sum += value;
            return sum;
        }
        if (n <= 128)
        {
            Span<double> r = stackalloc double[8];
            values[..8].CopyTo(r);
            int i = 8;
            for (; i < n - n % 8; i += 8)
                for (int j = 0; j < 8; j++) r[j] += values[i + j];
            double result = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) result += values[i];
            return result;
        }
        int half = n / 2;
        half -= half % 8;
        return NumPySum(values[..half]) + NumPySum(values[half..]);
    }
}

/// <summary>Number formatting the way Python's <c>format</c> does it.</summary>
internal static class PythonFormat
{
    /// <summary>
    /// <c>format(value, ".{digits}f")</c>: the exact binary value rounded half to even. .NET's "F" format rounds
    /// a midpoint such as 0.125 away from zero ("0.13" where Python prints "0.12"); precision 1/8 is common.
    /// </summary>
    public static string Fixed(double value, int digits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(digits);
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        bool negative = double.IsNegative(value);
        long bits = BitConverter.DoubleToInt64Bits(Math.Abs(value));
        int exponent = (int)((bits >> 52) & 0x7FF);
        long mantissa = bits & ((1L << 52) - 1);
        if (exponent == 0) exponent = 1;
        else mantissa |= 1L << 52;
        exponent -= 1075;
        // |value| * 10^digits = mantissa * 10^digits * 2^exponent, rounded half to even.
        BigInteger scaled = mantissa * BigInteger.Pow(10, digits);
        BigInteger rounded;
        if (exponent >= 0) rounded = scaled << exponent;
        else
        {
            BigInteger denominator = BigInteger.One << -exponent;
            rounded = BigInteger.DivRem(scaled, denominator, out BigInteger remainder);
            int half = (remainder * 2).CompareTo(denominator);
            if (half > 0 || (half == 0 && !rounded.IsEven)) rounded += 1;
        }
        string text = rounded.ToString(CultureInfo.InvariantCulture).PadLeft(digits + 1, '0');
        if (digits > 0) text = text[..^digits] + "." + text[^digits..];
        return negative ? "-" + text : text;
    }
}
