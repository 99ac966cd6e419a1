using System.Globalization;

namespace GpuSpread.IO;

/// <summary>Writes results as text, atomically (see <see cref="AtomicFile"/>), with invariant formatting and '\n' line ends.</summary>
public static class ResultWriter
{
    /// <summary>One label per line.</summary>
    public static void WritePredictions(string path, IReadOnlyList<long> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        AtomicFile.WriteText(path, writer =>
        {
            Span<char> buffer = stackalloc char[24];
            for (int i = 0; i < labels.Count; i++)
            {
                labels[i].TryFormat(buffer, out int length, default, CultureInfo.InvariantCulture);
                buffer[length] = '\n';
                writer.Write(buffer[..(length + 1)]);
            }
        });
    }

    /// <summary>
    /// The class labels comma-separated on the first line, then one row of <paramref name="distributions"/>
    /// (n x c, row-major) per line, each value in round-trip ("R") format.
    /// </summary>
    public static void WriteDistributions(string path, IReadOnlyList<long> classes, double[] distributions, int c)
    {
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(distributions);
        if (c <= 0 || c != classes.Count)
            throw new ArgumentException($"c ({c}) must be positive and equal the number of classes ({classes.Count})", nameof(c));
        if (distributions.Length % c != 0)
            throw new ArgumentException($"distributions has {distributions.Length} values, not a multiple of c = {c}", nameof(distributions));

        AtomicFile.WriteText(path, writer =>
        {
            // 32 characters hold any long or any double in "R" format, plus the separator.
            var line = new char[c * 32];
            int length = 0;
            for (int k = 0; k < c; k++)
                Append(classes[k], null, line, ref length, k == c - 1 ? '\n' : ',');
            writer.Write(line, 0, length);

            for (int start = 0; start < distributions.Length; start += c)
            {
                length = 0;
                for (int k = 0; k < c; k++)
                    Append(distributions[start + k], "R", line, ref length, k == c - 1 ? '\n' : ',');
                writer.Write(line, 0, length);
            }
        });
    }

    private static void Append<T>(T value, string? format, char[] line, ref int length, char separator) where T : ISpanFormattable
    {
        value.TryFormat(line.AsSpan(length), out int written, format, CultureInfo.InvariantCulture);
        length += written;
        line[length++] = separator;
    }
}
