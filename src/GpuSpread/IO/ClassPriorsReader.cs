using System.Globalization;

namespace GpuSpread.IO;

/// <summary>
/// Reads class priors for Poisson learning's class-mass correction: the word <c>uniform</c>, or a .csv/.txt file (optionally
/// gzip-compressed) of one <c>label,weight</c> line per class: an integer class label (0 or more) and a positive weight
/// (shares, counts or fractions; they are normalised), an optional non-numeric header line. Problems are
/// <see cref="InputDataException"/>s naming the path and the line.
/// </summary>
public static class ClassPriorsReader
{
    private const string Expected = "expected one 'label,weight' line per class: an integer label (0 or more) and a positive weight";

    /// <summary><c>uniform</c>, or the priors in the file at <paramref name="value"/>.</summary>
    public static ClassPriors Read(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value == "uniform") return ClassPriors.Uniform;
        bool gzip = InputFile.HasExtension(value, ".csv.gz") || InputFile.HasExtension(value, ".txt.gz");
        if (!gzip && !InputFile.HasExtension(value, ".csv") && !InputFile.HasExtension(value, ".txt"))
            throw InputFile.Fail(value, "class priors are 'uniform' or a .csv, .txt, .csv.gz or .txt.gz file of 'label,weight' lines");
        using var lines = new TextLines(value, gzip);
        var weights = new Dictionary<long, double>();
        bool first = true;
        string? line;
        while ((line = lines.Next()) is not null)
        {
            var text = line.AsSpan().Trim();
            if (text.IsEmpty) continue;
            bool header = first;
            first = false;
            int comma = text.IndexOf(',');
            var labelCell = comma < 0 ? text : text[..comma].Trim();
            var weightCell = comma < 0 ? [] : text[(comma + 1)..].Trim();
            bool labelNumber = InputFile.TryParseNumber(labelCell, out double label);
            if (!labelNumber && header) continue;
            if (comma < 0 || weightCell.Contains(','))
                throw InputFile.Fail(value, $"line {lines.LineNumber}: {InputFile.Quote(text)} does not have two cells; {Expected}");
            if (!labelNumber || label != Math.Floor(label) || label < 0 || label > long.MaxValue)
                throw InputFile.Fail(value, $"line {lines.LineNumber}: the label {InputFile.Quote(labelCell)} is not an integer of 0 or more; {Expected}");
            if (!InputFile.TryParseNumber(weightCell, out double weight) || !(weight > 0 && double.IsFinite(weight)))
                throw InputFile.Fail(value, $"line {lines.LineNumber}: the weight {InputFile.Quote(weightCell)} is not a positive finite number; {Expected}");
            if (!weights.TryAdd((long)label, weight))
                throw InputFile.Fail(value, $"line {lines.LineNumber}: class {((long)label).ToString(CultureInfo.InvariantCulture)} is listed twice; {Expected}");
        }
        if (weights.Count == 0) throw InputFile.Fail(value, $"the file lists no class; {Expected}");
        return ClassPriors.FromWeights(weights);
    }
}
