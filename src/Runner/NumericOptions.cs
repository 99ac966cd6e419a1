using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace GpuSpread.Runner;

/// <summary>
/// The parsers of every int and double option (nullable or not), installed on a command and its subcommands: a value
/// that does not parse is an error naming the option, the value and what it takes, where System.CommandLine's own
/// message names the .NET type (<c>System.Nullable`1[System.Int32]</c>). The allowed range of each option is checked
/// where the option is used, as before.
/// </summary>
public static class NumericOptions
{
    public static void Install(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in command.Options)
            switch (option)
            {
                case Option<int> o: o.CustomParser ??= result => Integer(result) ?? 0; break;
                case Option<int?> o: o.CustomParser ??= Integer; break;
                case Option<double> o: o.CustomParser ??= result => Number(result) ?? 0; break;
                case Option<double?> o: o.CustomParser ??= Number; break;
            }
        foreach (var subcommand in command.Subcommands) Install(subcommand);
    }

    private static int? Integer(ArgumentResult result)
    {
        if (Token(result) is not { } text) return null;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)) return value;
        result.AddError($"{Name(result)}: '{text}' is not an integer from {int.MinValue} to {int.MaxValue}");
        return null;
    }

    private static double? Number(ArgumentResult result)
    {
        if (Token(result) is not { } text) return null;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)) return value;
        result.AddError($"{Name(result)}: '{text}' is not a finite number (such as 0.5, 20 or 1e-3)");
        return null;
    }

    // A missing or repeated value is reported by the option's arity check.
    private static string? Token(ArgumentResult result) => result.Tokens.Count == 1 ? result.Tokens[0].Value : null;

    private static string Name(ArgumentResult result) => result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;
}
