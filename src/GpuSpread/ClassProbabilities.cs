namespace GpuSpread;

/// <summary>
/// Per row, a distribution over <see cref="Classes"/>: scikit-learn's <c>label_distributions_</c> or the result of
/// <c>predict_proba</c>, an n x c matrix read as <c>probabilities[row, column]</c>, where column k is the class
/// <c>Classes[k]</c>. A row sums to 1, or is all zero for a row that no label reached (scikit-learn would give NaN
/// there). The values are held once, row-major; <see cref="AsSpan"/> reads them without a copy and
/// <see cref="ToArray"/> copies them into a <c>double[,]</c>.
/// </summary>
public sealed class ClassProbabilities
{
    private readonly double[] _values;
    private readonly long[] _classes;

    /// <summary>Wraps <paramref name="values"/> (rows x classes, row-major) without copying it.</summary>
    /// <param name="classes">The class of each column, as <see cref="LabelDiffusion.Classes"/>: at least one.</param>
    /// <param name="values">rows x <c>classes.Length</c> values, row after row.</param>
    /// <exception cref="ArgumentNullException">a null argument.</exception>
    /// <exception cref="ArgumentException">no class, or a number of values that is not a multiple of the classes.</exception>
    public ClassProbabilities(long[] classes, double[] values)
    {
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(values);
        if (classes.Length == 0) throw new ArgumentException("at least one class is needed", nameof(classes));
        if (values.Length % classes.Length != 0)
            throw new ArgumentException($"{values.Length} values do not make rows of {classes.Length} classes", nameof(values));
        _classes = classes;
        _values = values;
        Rows = values.Length / classes.Length;
    }

    /// <summary>The number of rows (samples).</summary>
    public int Rows { get; }

    /// <summary>The number of columns: one per class.</summary>
    public int Columns => _classes.Length;

    /// <summary>The class of each column, sorted ascending (scikit-learn's <c>classes_</c>).</summary>
    public IReadOnlyList<long> Classes => _classes;

    /// <summary>The probability that row <paramref name="row"/> is of class <c>Classes[column]</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">a row outside 0..Rows-1 or a column outside 0..Columns-1.</exception>
    public double this[int row, int column]
    {
        get
        {
            CheckRow(row);
            if ((uint)column >= (uint)Columns)
                throw new ArgumentOutOfRangeException(nameof(column), column, $"a column from 0 to {Columns - 1}");
            return _values[(long)row * Columns + column];
        }
    }

    /// <summary>The distribution of one row, one value per class.</summary>
    /// <exception cref="ArgumentOutOfRangeException">a row outside 0..Rows-1.</exception>
    public ReadOnlySpan<double> Row(int row)
    {
        CheckRow(row);
        return _values.AsSpan(row * Columns, Columns);
    }

    /// <summary>All values, row after row (Rows x Columns), without a copy.</summary>
    public ReadOnlySpan<double> AsSpan() => _values;

    /// <summary>A copy as a Rows x Columns array.</summary>
    public double[,] ToArray()
    {
        var copy = new double[Rows, Columns];
        for (int row = 0; row < Rows; row++)
        {
            var values = Row(row);
            for (int column = 0; column < values.Length; column++) copy[row, column] = values[column];
        }
        return copy;
    }

    /// <summary>Per row, the class of its largest probability; the first class on ties and for an all-zero row.</summary>
    public long[] MostProbable() => LabelEncoding.Decode(_classes, _values, Rows);

    private void CheckRow(int row)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row), row, $"a row from 0 to {Rows - 1}");
    }
}
