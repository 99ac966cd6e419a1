namespace GpuSpread;

/// <summary>Labels to class indices and back, as scikit-learn does: classes_ = sorted labels without -1.</summary>
public static class LabelEncoding
{
    /// <summary>The label of an unlabeled row, as in scikit-learn.</summary>
    public const long Unlabeled = -1;

    /// <summary>The range of labels, the same wherever they enter (files, answer keys, oracles, journals): an int's.</summary>
    public const long MinLabel = int.MinValue, MaxLabel = int.MaxValue;

    /// <summary>What a class label may be, for messages.</summary>
    public static readonly string ClassLabelText = $"an integer from {MinLabel} to {MaxLabel} other than -1";

    /// <summary>Whether <paramref name="label"/> is a class label: in the label range, and not -1.</summary>
    public static bool IsClassLabel(long label) => label is >= MinLabel and <= MaxLabel && label != Unlabeled;

    /// <summary>The sorted classes and, per row, the index of its class or -1.</summary>
    /// <exception cref="InputDataException">when the count differs from <paramref name="rows"/>, nothing is labeled, or a
    /// label is outside <see cref="MinLabel"/>..<see cref="MaxLabel"/>.</exception>
    public static (long[] Classes, int[] ClassIndex) Encode(ReadOnlySpan<long> labels, int rows)
    {
        if (labels.Length != rows)
            throw new InputDataException($"the labels have {labels.Length} rows but the features have {rows}: they must have one label per feature row");
        var distinct = new SortedSet<long>();
        for (int i = 0; i < labels.Length; i++)
        {
            long label = labels[i];
            if (label == Unlabeled) continue;
            if (!IsClassLabel(label))
                throw new InputDataException($"row {i} (0-based): the label {label} is outside the label range; a label is -1 (unlabeled) or {ClassLabelText}");
            distinct.Add(label);
        }
        if (distinct.Count == 0)
            throw new InputDataException($"no row is labeled: all {rows} labels are -1 (unlabeled); at least one row needs a class label");
        long[] classes = [.. distinct];
        var index = new int[rows];
        for (int i = 0; i < rows; i++)
            index[i] = labels[i] == Unlabeled ? -1 : Array.BinarySearch(classes, labels[i]);
        return (classes, index);
    }

    /// <summary>Per row, the class of the largest value (the first on ties; an all-zero row gives classes[0]).</summary>
    public static long[] Decode(long[] classes, double[] distributions, int rows)
    {
        int c = classes.Length;
        var result = new long[rows];
        for (int i = 0; i < rows; i++)
        {
            var row = distributions.AsSpan(i * c, c);
            int best = 0;
            for (int k = 1; k < c; k++)
                if (row[k] > row[best]) best = k;
            result[i] = classes[best];
        }
        return result;
    }
}

/// <summary>The rule that makes rows of label mass into distributions, scikit-learn's: each row divided by its sum.</summary>
internal static class DistributionRows
{
    /// <summary>Divides a row by its sum; an all-zero row stays all zero (scikit-learn turns a zero sum into 1).</summary>
    public static void Normalise(ReadOnlySpan<double> row, Span<double> destination)
    {
        double sum = 0;
        foreach (double value in row) sum += value;
        if (sum == 0) sum = 1;
        for (int k = 0; k < row.Length; k++) destination[k] = row[k] / sum;
    }
}
