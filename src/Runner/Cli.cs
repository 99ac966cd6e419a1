using System.CommandLine;

namespace GpuSpread.Runner;

/// <summary>
/// The <c>gpuspread</c> command line, testable in-process: results go to files or <c>stdout</c>,
/// diagnostics to <c>stderr</c> (best effort: see <see cref="BestEffortWriter"/>), and the exit code is one of <see cref="ExitCodes"/>.
/// </summary>
public static class Cli
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation = default)
    {
        stderr = new BestEffortWriter(stderr);
        var parsed = Create(stdout, stderr, cancellation).Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) stderr.WriteLine($"gpuspread: {error.Message}");
            stderr.WriteLine("Run 'gpuspread --help' for usage.");
            return ExitCodes.BadInput;
        }
        return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
    }

    /// <summary>The root command and its subcommands, as <see cref="Run"/> parses them.</summary>
    public static RootCommand Create(TextWriter stdout, TextWriter stderr, CancellationToken cancellation = default)
    {
        var root = new RootCommand("gpuspread: graph-based semi-supervised learning (scikit-learn's LabelSpreading and LabelPropagation) without the n x n matrix.");
        root.Subcommands.Add(SpreadCommand.Create(stderr, cancellation));
        root.Subcommands.Add(DevicesCommand.Create(stdout, stderr));
        root.Subcommands.Add(SelfTrainCommand.Create(stderr, cancellation));
        root.Subcommands.Add(CitationCommand.Create(stdout, stderr, cancellation));
        root.Subcommands.Add(ActiveCommand.Create(stdout, stderr, cancellation));
        NumericOptions.Install(root);
        return root;
    }

    /// <summary>
    /// Parses sizes such as 1GiB, 512MiB, 2G, 1.5TB, 1500000000 (bytes): KiB to TiB and K to T are powers of 1024,
    /// KB to TB of 1000. False for anything else, and for less than a byte or more than a long holds.
    /// </summary>
    public static bool TryParseBytes(string text, out long bytes)
    {
        bytes = 0;
        text = text.Trim();
        (string Suffix, long Factor)[] units =
        [
            ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("TiB", 1L << 40),
            ("KB", 1000), ("MB", 1000_000), ("GB", 1000_000_000), ("TB", 1000_000_000_000),
            ("K", 1L << 10), ("M", 1L << 20), ("G", 1L << 30), ("T", 1L << 40), ("B", 1),
        ];
        long factor = 1;
        foreach (var (suffix, unitFactor) in units)
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                factor = unitFactor;
                text = text[..^suffix.Length].Trim();
                break;
            }
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        if (long.TryParse(text, System.Globalization.NumberStyles.None, invariant, out long whole))
        {
            bytes = whole <= long.MaxValue / factor ? whole * factor : 0;
            return bytes >= 1;
        }
        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, invariant, out double value)) return false;
        double total = Math.Floor(value * factor);
        // 2^63, the first value past long.MaxValue; also false for NaN.
        if (!(total >= 1 && total < 9223372036854775808.0)) return false;
        bytes = (long)total;
        return true;
    }
}
