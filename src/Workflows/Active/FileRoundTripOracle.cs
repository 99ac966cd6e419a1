using System.Globalization;
using GpuSpread.IO;

namespace GpuSpread.Active;

/// <summary>
/// Labels from a file a team fills in. For a round it writes <c>batch-NNN.csv</c> (one line per picked row: the
/// row index, an empty <c>label</c> cell, the model's top guesses with their probabilities, the entropy) and stops
/// the session; run again with <c>--resume</c> once the label cells are filled in and it reads them back. A cell
/// holds a label (an integer in <see cref="LabelEncoding"/>'s range, other than -1), <c>skip</c> (the row stays unlabeled and is not asked again), or
/// nothing (not labeled yet: the session stops again and says how many are left). Rows may be reordered and
/// columns added; the <c>row</c> and <c>label</c> columns are found by their headers.
/// </summary>
public sealed class FileRoundTripOracle : ILabelOracle
{
    private readonly string _directory;
    private readonly IReadOnlySet<long>? _allowed;
    private readonly List<string> _messages = [];

    /// <param name="directory">Where the batch files are written and read.</param>
    /// <param name="allowed">The labels a cell may hold (null: any class label, see <see cref="LabelEncoding.IsClassLabel"/>).</param>
    public FileRoundTripOracle(string directory, IReadOnlySet<long>? allowed = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        _directory = directory;
        _allowed = allowed;
    }

    /// <summary>What the user should be told: why the session stopped, and rows read with a problem.</summary>
    public IReadOnlyList<string> Messages => _messages;

    /// <summary>The batch file of round <paramref name="round"/> in <paramref name="directory"/>: <c>batch-001.csv</c> for round 1.</summary>
    public static string BatchPath(string directory, int round) =>
        Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"batch-{round:000}.csv"));

    /// <inheritdoc/>
    public bool Answer(LabelRequest request, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(request);
        string path = BatchPath(_directory, request.Round);
        if (!File.Exists(path))
        {
            Write(path, request);
            _messages.Add($"round {request.Round}: wrote the {request.Pending.Count} rows to label to {path}; fill in its label column " +
                "(a class label, or 'skip'), then run the same command again with --resume");
            return false;
        }
        Read(path, request);
        int left = request.Pending.Count;
        if (left == 0) return true;
        _messages.Add($"{path}: {left} of {request.Rows.Count} rows have no label yet; fill in their label cells " +
            "(a class label, or 'skip'), then run the same command again with --resume");
        return false;
    }

    /// <summary>Writes the batch file for the request's pending rows (atomically).</summary>
    public static void Write(string path, LabelRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        int guesses = Math.Max(1, request.Rows.Max(r => r.TopGuesses.Count));
        AtomicFile.WriteText(path, writer =>
        {
            writer.Write("row,label");
            for (int g = 1; g <= guesses; g++) writer.Write(string.Create(CultureInfo.InvariantCulture, $",guess_{g},probability_{g}"));
            writer.Write(",entropy\n");
            foreach (var row in request.Pending)
            {
                writer.Write(row.Row.ToString(CultureInfo.InvariantCulture));
                writer.Write(',');
                for (int g = 0; g < guesses; g++)
                {
                    if (g < row.TopGuesses.Count)
                        writer.Write(string.Create(CultureInfo.InvariantCulture, $",{row.TopGuesses[g].Label},{row.TopGuesses[g].Probability:F4}"));
                    else writer.Write(",,");
                }
                writer.Write(',');
                writer.Write(double.IsNaN(row.Entropy) ? "unreached" : row.Entropy.ToString("F4", CultureInfo.InvariantCulture));
                writer.Write('\n');
            }
        });
    }

    private void Read(string path, LabelRequest request)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputDataException($"{path}: cannot read the batch file: {e.Message}", e);
        }
        int headerLine = Array.FindIndex(lines, l => !string.IsNullOrWhiteSpace(l));
        if (headerLine < 0) throw new InputDataException($"{path}: the file is empty; expected the header 'row,label,...' and one line per row");
        var header = Cells(lines[headerLine].TrimStart('\uFEFF'));
        int rowColumn = Array.FindIndex(header, h => h.Equals("row", StringComparison.OrdinalIgnoreCase));
        int labelColumn = Array.FindIndex(header, h => h.Equals("label", StringComparison.OrdinalIgnoreCase));
        if (rowColumn < 0 || labelColumn < 0)
            throw new InputDataException($"{path}: line {headerLine + 1}: the header must name a 'row' and a 'label' column; found {string.Join(", ", header.Select(h => $"'{h}'"))}");

        var picked = request.Rows.Select(r => r.Row).ToHashSet();
        var seen = new HashSet<int>();
        for (int index = headerLine + 1; index < lines.Length; index++)
        {
            if (string.IsNullOrWhiteSpace(lines[index])) continue;
            int lineNumber = index + 1;
            var cells = Cells(lines[index]);
            string rowText = rowColumn < cells.Length ? cells[rowColumn] : "";
            if (!int.TryParse(rowText, NumberStyles.None, CultureInfo.InvariantCulture, out int row))
                throw new InputDataException($"{path}: line {lineNumber}: the row cell {Quote(rowText)} is not a row index (an integer from 0)");
            if (!picked.Contains(row))
                throw new InputDataException($"{path}: line {lineNumber}: row {row} is not in round {request.Round}'s batch " +
                    $"(rows {string.Join(", ", picked)}); the file's rows must not be changed, only its label cells");
            if (!seen.Add(row)) throw new InputDataException($"{path}: line {lineNumber}: row {row} appears twice");

            string cell = labelColumn < cells.Length ? cells[labelColumn] : "";
            if (cell.Length == 0) continue;
            bool skip = cell.Equals("skip", StringComparison.OrdinalIgnoreCase);
            long label = 0;
            if (!skip && !TryParseLabel(cell, out label))
                throw new InputDataException($"{path}: line {lineNumber}: the label {Quote(cell)} of row {row} is not allowed; " +
                    $"expected {Allowed()}, 'skip', or nothing (not labeled yet)");
            if (!skip && _allowed is not null && !_allowed.Contains(label))
                throw new InputDataException($"{path}: line {lineNumber}: the label {label} of row {row} is not one of the allowed classes ({Allowed()})");

            if (request.IsAnswered(row))
            {
                var given = request.Answers.First(a => a.Row == row);
                if (given.Label != (skip ? null : label))
                    _messages.Add($"{path}: line {lineNumber}: row {row} was already answered ({(given.Label is { } g ? g.ToString(CultureInfo.InvariantCulture) : "skip")}, " +
                        "in the journal); that answer is kept");
                continue;
            }
            if (skip) request.Skip(row);
            else request.Label(row, label);
        }
    }

    private string Allowed() => _allowed is null
        ? $"a class label ({LabelEncoding.ClassLabelText})"
        : $"one of {string.Join(", ", _allowed.Order())}";

    private static bool TryParseLabel(string cell, out long label)
    {
        label = 0;
        if (long.TryParse(cell, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out label)) return LabelEncoding.IsClassLabel(label);
        // Spreadsheets may write 3 as 3.0.
        if (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            && value == Math.Floor(value) && Math.Abs(value) < 1e15)
        {
            label = (long)value;
            return LabelEncoding.IsClassLabel(label);
        }
        return false;
    }

    /// <summary>The cells of a CSV line: comma-separated, blanks trimmed, one level of double quotes removed.</summary>
    private static string[] Cells(string line) =>
        [.. line.TrimEnd('\r').Split(',').Select(c => c.Trim()).Select(c => c.Length >= 2 && c[0] == '"' && c[^1] == '"' ? c[1..^1].Trim() : c)];

    private static string Quote(string cell) => cell.Length == 0 ? "(empty)" : $"'{(cell.Length <= 40 ? cell : cell[..40] + "...")}'";
}
