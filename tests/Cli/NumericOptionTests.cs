using System.CommandLine;
using GpuSpread.Runner;
using static GpuSpread.Tests.CliHarness;

namespace GpuSpread.Tests.Cli;

/// <summary>Every numeric option of every command: a value that does not parse gets a plain message, not a .NET type name.</summary>
public sealed class NumericOptionTests
{
    public static TheoryData<string, string, string, string> BadValues()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var command in GpuSpread.Runner.Cli.Create(TextWriter.Null, TextWriter.Null).Subcommands)
            foreach (var option in command.Options)
            {
                var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
                if (type == typeof(int))
                {
                    data.Add(command.Name, option.Name, "2147483648", "is not an integer from -2147483648 to 2147483647");
                    data.Add(command.Name, option.Name, "1.5", "is not an integer from -2147483648 to 2147483647");
                }
                else if (type == typeof(double))
                {
                    data.Add(command.Name, option.Name, "abc", "is not a finite number");
                    data.Add(command.Name, option.Name, "1e400", "is not a finite number");
                }
                else Assert.True(type == typeof(string) || type == typeof(bool), $"{command.Name} {option.Name}: {type} needs a parser with a plain message");
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(BadValues))]
    public void AValueThatDoesNotParseIsNamedPlainly(string command, string option, string value, string message)
    {
        var (code, _, stderr) = Run(command, option, value);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"gpuspread: {option}: '{value}' {message}", stderr);
        Assert.DoesNotContain("System.", stderr);
    }

    [Fact]
    public void GoodValuesAndDefaultsStillParse()
    {
        var root = GpuSpread.Runner.Cli.Create(TextWriter.Null, TextWriter.Null);
        var spread = root.Subcommands.Single(c => c.Name == "spread");
        var maxIter = (Option<int?>)spread.Options.Single(o => o.Name == "--max-iter");
        var gamma = (Option<double>)spread.Options.Single(o => o.Name == "--gamma");
        var neighbours = (Option<int>)spread.Options.Single(o => o.Name == "--n-neighbors");
        string[] required = ["spread", "--labels", "y.csv", "--out", "o"];

        var given = root.Parse([.. required, "--max-iter", "12", "--gamma", "-0.5e1", "--n-neighbors", " 3"]);
        Assert.Empty(given.Errors);
        Assert.Equal((12, -5.0, 3), (given.GetValue(maxIter), given.GetValue(gamma), given.GetValue(neighbours)));

        var defaults = root.Parse(required);
        Assert.Empty(defaults.Errors);
        Assert.Equal((null, 20.0, 7), (defaults.GetValue(maxIter), defaults.GetValue(gamma), defaults.GetValue(neighbours)));

        Assert.NotEmpty(root.Parse([.. required, "--max-iter"]).Errors);
    }
}
