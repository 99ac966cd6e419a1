namespace GpuSpread;

/// <summary>
/// Bad input data: a file that cannot be read as features or labels, or values that make no sense.
/// The message says where (file, line, column where known), what was found and what is allowed.
/// The command-line program maps it to exit code 2.
/// </summary>
public class InputDataException : Exception
{
    public InputDataException(string message) : base(message) { }
    public InputDataException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// An estimator parameter outside its allowed range. The message names the parameter, its value
/// and what is allowed, as scikit-learn's parameter validation does.
/// </summary>
public sealed class InvalidParameterException : ArgumentException
{
    public InvalidParameterException(string parameter, object? value, string allowed)
        : base($"The '{parameter}' parameter must be {allowed}. Got {FormatValue(value)} instead.", parameter)
    {
        Parameter = parameter;
        Value = value;
        Allowed = allowed;
    }

    public string Parameter { get; }
    public object? Value { get; }
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
    public FeatureRangeException(int row, int column, string message) : base(message)
    {
        Row = row;
        Column = column;
    }

    public int Row { get; }
    public int Column { get; }
}
