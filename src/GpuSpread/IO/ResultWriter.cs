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
            var header = new char[c * CharactersPerValue];
            int length = 0;
            for (int k = 0; k < c; k++)
                Append(classes[k], null, header, ref length, k == c - 1 ? '\n' : ',');
            writer.Write(header, 0, length);

            // Formatting takes most of the time, so the rows go in batches: each batch's chunks are formatted in
            // parallel, then written in order. A batch's text is all that is held at once.
            int rows = distributions.Length / c;
            int rowsPerChunk = Math.Max(1, ValuesPerChunk / c);
            var chunks = new char[Environment.ProcessorCount * 2][];
            var lengths = new int[chunks.Length];
            for (int batch = 0; batch < rows; batch += rowsPerChunk * chunks.Length)
            {
                int count = (int)Math.Min(chunks.Length, ((long)rows - batch + rowsPerChunk - 1) / rowsPerChunk);
                Parallel.For(0, count, chunk =>
                {
                    int first = batch + chunk * rowsPerChunk, last = (int)Math.Min(rows, (long)first + rowsPerChunk);
                    var text = chunks[chunk] ??= new char[rowsPerChunk * c * CharactersPerValue];
                    int written = 0;
                    for (long start = (long)first * c; start < (long)last * c; start += c)
                        for (int k = 0; k < c; k++)
                            Append(distributions[start + k], "R", text, ref written, k == c - 1 ? '\n' : ',');
                    lengths[chunk] = written;
                });
                for (int chunk = 0; chunk < count; chunk++) writer.Write(chunks[chunk], 0, lengths[chunk]);
            }
        });
    }

    /// <summary>Characters that hold any long or any double in "R" format, and the separator after it.</summary>
    private const int CharactersPerValue = 32;

    /// <summary>Values per chunk of <see cref="WriteDistributions"/> (a row at least): about 2 MB of text.</summary>
    private const int ValuesPerChunk = 1 << 15;

    private static void Append<T>(T value, string? format, char[] line, ref int length, char separator) where T : ISpanFormattable
    {
        value.TryFormat(line.AsSpan(length), out int written, format, CultureInfo.InvariantCulture);
        length += written;
        line[length++] = separator;
    }
}
