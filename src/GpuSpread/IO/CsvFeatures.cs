namespace GpuSpread.IO;

/// <summary>
/// Comma-separated float64 features, one sample per line. The first non-empty line is a header when any
/// of its cells is not a number. Blank lines are skipped before the first line and at the end; one between
/// rows is an error, since it most likely stands for a missing row.
/// </summary>
internal static class CsvFeatures
{
    public static FeatureMatrix Read(string path, bool gzip)
    {
        using var lines = new TextLines(path, gzip);
        var data = new double[1 << 12];
        int count = 0, rows = 0, cols = 0;
        int shapeLine = 0; // the line whose cell count every row must match
        bool header = false;
        int blankLine = 0; // the first blank line after a row, an error if another row follows
        string? line;
        while ((line = lines.Next()) is not null)
        {
            var span = line.AsSpan();
            int lineNumber = lines.LineNumber;
            if (span.IsWhiteSpace())
            {
                if (shapeLine != 0 && blankLine == 0) blankLine = lineNumber;
                continue;
            }
            if (blankLine != 0)
                throw InputFile.Fail(path, $"line {blankLine} is empty; blank lines are allowed only at the end of the file");

            int cells = span.Count(',') + 1;
            if (shapeLine == 0)
            {
                cols = cells;
                shapeLine = lineNumber;
                header = IsHeader(span);
                if (header) continue;
            }
            else if (cells != cols)
            {
                string what = header ? "the header" : "the first row";
                throw InputFile.Fail(path, $"line {lineNumber}: expected {cols} columns, as in {what} on line {shapeLine}, but found {cells}");
            }

            if (data.Length - count < cols) Grow(ref data, (long)count + cols, path);
            ParseRow(path, span, data.AsSpan(count, cols), lineNumber, rows);
            count += cols;
            rows++;
        }
        if (shapeLine == 0)
            throw InputFile.Fail(path, "the file is empty; expected comma-separated numbers, one sample per line");
        if (rows == 0)
            throw InputFile.Fail(path, $"no data rows: the file has only the header on line {shapeLine}");
        Array.Resize(ref data, count);
        return FeatureMatrix.FromDouble(data, rows, cols);
    }

    private static bool IsHeader(ReadOnlySpan<char> line)
    {
        foreach (var range in line.Split(','))
            if (!InputFile.TryParseNumber(line[range], out _)) return true;
        return false;
    }

    private static void ParseRow(string path, ReadOnlySpan<char> line, Span<double> row, int lineNumber, int rowIndex)
    {
        for (int c = 0; c < row.Length; c++)
        {
            int comma = line.IndexOf(',');
            var cell = comma < 0 ? line : line[..comma];
            line = comma < 0 ? default : line[(comma + 1)..];
            if (!InputFile.TryParseNumber(cell, out double value))
                throw InputFile.Fail(path, $"line {lineNumber}, column {c + 1}: {InputFile.Quote(cell)} is not a number; " +
                    "expected a decimal number such as 1.5 or -2e-3");
            if (!double.IsFinite(value))
                throw InputFile.Fail(path, $"line {lineNumber}, column {c + 1} (row {rowIndex}, 0-based): found {InputFile.Quote(cell)}; " +
                    "features must be finite numbers (no NaN or infinity)");
            row[c] = value;
        }
    }

    private static void Grow(ref double[] data, long needed, string path)
    {
        if (needed > Array.MaxLength)
            throw InputFile.Fail(path, $"too many values: more than {Array.MaxLength}, the largest array .NET can hold");
        Array.Resize(ref data, (int)Math.Max(needed, Math.Min(2L * data.Length, Array.MaxLength)));
    }
}
