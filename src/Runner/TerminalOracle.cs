using System.Globalization;
using GpuSpread.Active;
using Spectre.Console;

namespace GpuSpread.Runner;

/// <summary>
/// A person at the terminal labels the picked rows one by one: the row is shown (drawn as an image in shade
/// characters when it is image-shaped, else its first feature values), with the model's top guesses and their
/// probabilities; the person types a label, <c>s</c> to skip, <c>u</c> to undo the last answer of this batch,
/// <c>q</c> to quit, <c>?</c> for help. Every answer reaches the journal (on disk) before the next row is shown:
/// <see cref="LabelRequest"/> writes it before returning.
/// </summary>
public sealed class TerminalOracle : ILabelOracle
{
    private const string Shades = " ░▒▓█";
    private readonly IAnsiConsole _console;
    private readonly TextReader _input;
    private readonly FeatureMatrix _features;
    private readonly (int Rows, int Cols)? _image;
    private readonly IReadOnlySet<long>? _allowed;
    private readonly double _low;
    private readonly double _high;

    /// <param name="image">Draw rows as images of this shape (rows x columns = the number of features).</param>
    /// <param name="allowed">The labels a person may type (null: any class label, see <see cref="LabelEncoding.IsClassLabel"/>).</param>
    public TerminalOracle(IAnsiConsole console, TextReader input, FeatureMatrix features, (int Rows, int Cols)? image, IReadOnlySet<long>? allowed)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(features);
        _console = console;
        _input = input;
        _features = features;
        _image = image;
        _allowed = allowed;
        // One grey scale for the whole data set, so that images compare.
        (_low, _high) = (double.PositiveInfinity, double.NegativeInfinity);
        long length = (long)features.Rows * features.Cols;
        for (long i = 0; i < length; i++)
        {
            double v = features.Single is { } s ? s[i] : features.Double![i];
            _low = Math.Min(_low, v);
            _high = Math.Max(_high, v);
        }
    }

    /// <summary>True once the person quit (typed q, or closed the input).</summary>
    public bool Quit { get; private set; }

    public bool Answer(LabelRequest request, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(request);
        _console.WriteLine();
        _console.Write(new Rule($"[bold]Round {request.Round} of {request.Rounds}[/]: {request.Pending.Count} of {request.Rows.Count} rows to label " +
            $"({request.LabeledCount} labeled, {request.UnlabeledCount} unlabeled)").LeftJustified());
        _console.MarkupLine("[grey]Type a label and Enter; s = skip, u = undo the last answer, q = quit (answers are saved as you go), ? = help.[/]");
        PickedRow? shown = null;
        while (request.Pending.Count > 0)
        {
            var row = request.Pending[0];
            if (!ReferenceEquals(row, shown)) Show(request, row);
            shown = row;
            _console.Markup("[bold]label>[/] ");
            string? line = ReadLine(cancellation);
            if (line is null)
            {
                _console.WriteLine();
                _console.MarkupLine("[yellow]End of input: stopping; the answers so far are in the journal.[/]");
                Quit = true;
                return false;
            }
            string text = line.Trim();
            switch (text.ToLowerInvariant())
            {
                case "":
                    continue;
                case "q" or "quit" or "exit":
                    Quit = true;
                    return false;
                case "s" or "skip":
                    request.Skip(row.Row);
                    _console.MarkupLine($"[grey]row {row.Row} skipped (saved)[/]");
                    continue;
                case "u" or "undo":
                    if (request.Undo() is { } undone)
                    {
                        _console.MarkupLine($"[yellow]undone: row {undone.Row} ({(undone.Label is { } l ? $"label {l}" : "skipped")}); asking it again[/]");
                        shown = null;
                    }
                    else _console.MarkupLine("[yellow]nothing to undo in this round (answers of earlier rounds are already in the model)[/]");
                    continue;
                case "?" or "h" or "help":
                    Help();
                    continue;
            }
            if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long label) || !LabelEncoding.IsClassLabel(label))
            {
                _console.MarkupLine($"[red]'{Markup.Escape(text)}' is not a label[/]: type {Markup.Escape(AllowedText())}, or s, u, q, ?");
                continue;
            }
            if (_allowed is not null && !_allowed.Contains(label))
            {
                _console.MarkupLine($"[red]{label} is not one of the allowed classes[/] ({Markup.Escape(AllowedText())})");
                continue;
            }
            request.Label(row.Row, label);
            string note = request.Classes.Contains(label) ? "" : " [yellow](a class the model has not seen yet)[/]";
            _console.MarkupLine($"[green]row {row.Row} = {label} (saved)[/]{note}");
        }
        return true;
    }

    private string? ReadLine(CancellationToken cancellation)
    {
        // Console.ReadLine cannot be interrupted; waiting on it as a task lets Ctrl-C (the token) stop the session.
        var read = Task.Run(_input.ReadLine, CancellationToken.None);
        return read.WaitAsync(cancellation).GetAwaiter().GetResult();
    }

    private void Show(LabelRequest request, PickedRow row)
    {
        int position = request.Rows.ToList().FindIndex(r => r.Row == row.Row) + 1;
        string entropy = double.IsNaN(row.Entropy) ? "unreached (no label reached it)" : row.Entropy.ToString("F4", CultureInfo.InvariantCulture);
        _console.WriteLine();
        _console.MarkupLine($"[bold]Row {position} of {request.Rows.Count}[/] in round {request.Round}: data row [bold]{row.Row}[/], entropy {entropy}");
        if (_image is { } shape) DrawImage(row.Row, shape.Rows, shape.Cols);
        else ShowFeatures(row.Row);
        if (row.TopGuesses.Count == 0)
        {
            _console.MarkupLine("[yellow]The model has no guess: no label reached this row.[/]");
            return;
        }
        var chart = new BarChart().Width(Math.Min(60, _console.Profile.Width)).Label("[bold]the model's guesses[/]").LeftAlignLabel()
            .WithMaxValue(100).UseValueFormatter(v => v.ToString("F1", CultureInfo.InvariantCulture) + "%");
        foreach (var guess in row.TopGuesses)
            chart.AddItem(guess.Label.ToString(CultureInfo.InvariantCulture), Math.Round(guess.Probability * 100, 1), Color.SteelBlue);
        _console.Write(chart);
    }

    /// <summary>The row as a picture: each value a shade from blank (lowest) to full block (highest), two characters wide.</summary>
    private void DrawImage(int row, int rows, int cols)
    {
        string edge = new('─', 2 * cols);
        _console.WriteLine("┌" + edge + "┐");
        var line = new System.Text.StringBuilder();
        for (int r = 0; r < rows; r++)
        {
            line.Clear().Append('│');
            for (int c = 0; c < cols; c++)
            {
                double v = _features[row, r * cols + c];
                double t = _high > _low ? (v - _low) / (_high - _low) : 0;
                char shade = Shades[Math.Clamp((int)Math.Round(t * (Shades.Length - 1)), 0, Shades.Length - 1)];
                line.Append(shade).Append(shade);
            }
            _console.WriteLine(line.Append('│').ToString());
        }
        _console.WriteLine("└" + edge + "┘");
    }

    private void ShowFeatures(int row)
    {
        const int Shown = 16;
        var values = Enumerable.Range(0, Math.Min(Shown, _features.Cols))
            .Select(c => _features[row, c].ToString("G5", CultureInfo.InvariantCulture));
        string more = _features.Cols > Shown ? $", ... ({_features.Cols} features)" : "";
        _console.WriteLine($"features: {string.Join(", ", values)}{more}");
    }

    private void Help()
    {
        _console.MarkupLine("[bold]Commands[/]");
        _console.MarkupLine($"  [bold]a label[/]  {Markup.Escape(AllowedText())}: the row's class; saved at once");
        _console.MarkupLine("  [bold]s[/]        skip this row: it stays unlabeled and is not asked again");
        _console.MarkupLine("  [bold]u[/]        undo the last answer of this round and ask that row again");
        _console.MarkupLine("  [bold]q[/]        quit; run the same command with --resume to go on where you stopped");
    }

    private string AllowedText() => _allowed is null ? $"a class label ({LabelEncoding.ClassLabelText})" : $"one of {string.Join(", ", _allowed.Order())}";
}
