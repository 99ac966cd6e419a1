using System.Globalization;

namespace GpuSpread.IO;

/// <summary>
/// Reads one integer label per sample; -1 means unlabeled, any other integer is a class label.
/// From .csv or .txt (optionally gzip-compressed as .csv.gz or .txt.gz): one label per line, an optional
/// non-numeric header line, a cell such as 3.0 accepted only when integral. From .npy: a 1-D array or a
/// 2-D array with one column, of int8, uint8, int32 or int64, or of float32 or float64 holding integers.
/// Problems are <see cref="InputDataException"/>s naming the path and the line or 0-based row.
/// </summary>
public static class LabelReader
{
    private const string AllowedExtensions = ".csv, .txt, .npy, .csv.gz or .txt.gz";

    /// <summary>Reads one label per row from <paramref name="path"/>, chosen by its extension; the result goes straight to <see cref="LabelDiffusion.Fit(GraphInput, ReadOnlySpan{int}, IProgress{StageProgress}?, CancellationToken)"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="InputDataException">the file is missing, unreadable, of another extension, empty, or holds a value that is not an integer in the int range; the message starts with the path and names the line or row.</exception>
    public static int[] Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (InputFile.HasExtension(path, ".npy")) return ReadNpy(path);
        if (InputFile.HasExtension(path, ".csv") || InputFile.HasExtension(path, ".txt")) return ReadText(path, gzip: false);
        if (InputFile.HasExtension(path, ".csv.gz") || InputFile.HasExtension(path, ".txt.gz")) return ReadText(path, gzip: true);
        throw InputFile.Fail(path, $"unsupported file extension '{Path.GetExtension(path)}'; labels must be {AllowedExtensions}");
    }

    private static int[] ReadText(string path, bool gzip)
    {
        using var lines = new TextLines(path, gzip);
        var labels = new List<int>();
        int headerLine = 0;
        int blankLine = 0; // the first blank line after the start, an error if another label follows
        string? line;
        while ((line = lines.Next()) is not null)
        {
            var cell = line.AsSpan().Trim();
            int lineNumber = lines.LineNumber;
            bool started = labels.Count > 0 || headerLine != 0;
            if (cell.IsEmpty)
            {
                if (started && blankLine == 0) blankLine = lineNumber;
                continue;
            }
            if (blankLine != 0)
                throw InputFile.Fail(path, $"line {blankLine} is empty; blank lines are allowed only at the end of the file");

            bool number = InputFile.TryParseNumber(cell, out double value);
            if (!number && !started)
            {
                headerLine = lineNumber;
                continue;
            }
            string? problem = number ? Problem(value) : "is not a number";
            if (problem is not null)
                throw InputFile.Fail(path, $"line {lineNumber}: {InputFile.Quote(cell)} {problem}; expected one integer label per line, -1 for unlabeled");
            labels.Add((int)value);
        }
        if (labels.Count == 0)
            throw InputFile.Fail(path, headerLine == 0
                ? "the file is empty; expected one integer label per line, -1 for unlabeled"
                : $"no labels: the file has only the header on line {headerLine}");
        return [.. labels];
    }

    private static int[] ReadNpy(string path)
    {
        using var stream = InputFile.OpenRead(path);
        var header = Npy.ReadHeader(stream, path);
        bool column = header.Shape.Length == 1 || (header.Shape.Length == 2 && header.Shape[1] == 1);
        if (!column)
            throw InputFile.Fail(path, $"labels must be a 1-D array or a 2-D array with one column, got shape {header.ShapeText}");
        int count = Npy.CheckDataLength(stream, header, path);
        if (count == 0) throw InputFile.Fail(path, $"no labels: the array has shape {header.ShapeText}");

        double[] values = Npy.ReadDouble(stream, header.Type, count);
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            if (Problem(values[i]) is { } problem)
                throw InputFile.Fail(path, $"row {i} (0-based): {values[i].ToString("R", CultureInfo.InvariantCulture)} {problem}; labels must be integers, -1 for unlabeled");
            labels[i] = (int)values[i];
        }
        return labels;
    }

    /// <summary>Why a value is not a label, or null when it is an integer that fits an int.</summary>
    private static string? Problem(double value)
    {
        if (!double.IsFinite(value)) return "is not a finite number";
        if (value != Math.Floor(value)) return "is not an integer";
        if (value < LabelEncoding.MinLabel || value > LabelEncoding.MaxLabel)
            return $"is outside the label range {LabelEncoding.MinLabel} to {LabelEncoding.MaxLabel}";
        return null;
    }
}
