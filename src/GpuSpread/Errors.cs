namespace GpuSpread;

/// <summary>
/// Bad input data: a file that cannot be read as features or labels, or values that make no sense.
/// The message says where (file, line, column where known), what was found and what is allowed.
/// The command-line program maps it to exit code 2.
/// </summary>
public class InputDataException : Exception
{
    /// <summary>Bad input described by <paramref name="message"/>, which says where, what was found and what is allowed.</summary>
    public InputDataException(string message) : base(message) { }
    /// <summary>Bad input described by <paramref name="message"/>, caused by <paramref name="inner"/>.</summary>
    public InputDataException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// An estimator parameter outside its allowed range. The message names the parameter, its value
/// and what is allowed, as scikit-learn's parameter validation does.
/// </summary>
public sealed class InvalidParameterException : ArgumentException
{
    /// <summary>The message reads "The '<paramref name="parameter"/>' parameter must be <paramref name="allowed"/>. Got <paramref name="value"/> instead."</summary>
    /// <param name="parameter">The parameter's scikit-learn name (snake case), e.g. <c>n_neighbors</c>.</param>
    /// <param name="value">The value given (formatted invariantly, strings quoted).</param>
    /// <param name="allowed">What is allowed, in words, e.g. "a float in the range (0, 1)".</param>
    public InvalidParameterException(string parameter, object? value, string allowed)
        : base($"The '{parameter}' parameter must be {allowed}. Got {FormatValue(value)} instead.", parameter)
    {
        Parameter = parameter;
        Value = value;
        Allowed = allowed;
    }

    /// <summary>The parameter's scikit-learn name (snake case).</summary>
    public string Parameter { get; }
    /// <summary>The value that was refused.</summary>
    public object? Value { get; }
    /// <summary>What is allowed, in words.</summary>
    public string Allowed { get; }

    private static string FormatValue(object? value) => value switch
    {
        null => "null",
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        float f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        string s => $"'{s}'",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "?",
    };
}

/// <summary>
/// Feature values whose distances no precision computes right: the message names the row and column (1-based) of the
/// cell at fault; <see cref="Row"/> and <see cref="Column"/> are 0-based, for a front end to add its file name.
/// </summary>
public sealed class FeatureRangeException : InputDataException
{
    /// <summary>The cell at <paramref name="row"/>, <paramref name="column"/> (0-based) is at fault; <paramref name="message"/> names it 1-based.</summary>
    public FeatureRangeException(int row, int column, string message) : base(message)
    {
        Row = row;
        Column = column;
    }

    /// <summary>The 0-based row of the cell at fault (of the training rows, or of the new rows for a prediction).</summary>
    public int Row { get; }
    /// <summary>The 0-based column of the cell at fault.</summary>
    public int Column { get; }
}
