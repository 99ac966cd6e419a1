using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace GpuSpread.IO;

/// <summary>Opening input files and phrasing errors about them, shared by the readers.</summary>
internal static class InputFile
{
    public static InputDataException Fail(string path, string message) => new($"{path}: {message}");

    public static bool HasExtension(string path, string extension) =>
        path.EndsWith(extension, StringComparison.OrdinalIgnoreCase);

    /// <summary>Opens for reading; a missing or unreadable file becomes an <see cref="InputDataException"/>.</summary>
    public static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            throw Fail(path, "file not found");
        }
        catch (DirectoryNotFoundException)
        {
            throw Fail(path, "file not found (its directory does not exist)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputDataException($"{path}: cannot open the file: {e.Message}", e);
        }
    }

    /// <summary>
    /// Parses a cell as float64 the way both CSV readers do: invariant culture, surrounding blanks allowed.
    /// .NET reads "nan" and "infinity" in any case but not "inf", which Python and NumPy write, so that is
    /// read here too: such a cell is then reported as non-finite rather than as non-numeric.
    /// </summary>
    public static bool TryParseNumber(ReadOnlySpan<char> cell, out double value)
    {
        if (double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out value)) return true;
        cell = cell.Trim();
        bool negative = cell.StartsWith('-');
        if (negative || cell.StartsWith('+')) cell = cell[1..];
        if (!cell.Equals("inf", StringComparison.OrdinalIgnoreCase)) return false;
        value = negative ? double.NegativeInfinity : double.PositiveInfinity;
        return true;
    }

    /// <summary>A cell's text for an error message: quoted, shortened when long.</summary>
    public static string Quote(ReadOnlySpan<char> cell)
    {
        cell = cell.Trim();
        if (cell.Length == 0) return "an empty cell";
        return cell.Length <= 40 ? $"'{cell}'" : $"'{cell[..40]}...'";
    }
}

/// <summary>
/// The lines of a text file, or of a gzip-compressed one decompressed on the fly, counted from 1.
/// Tolerates \n, \r\n and a byte-order mark. A gzip file cut short is an error, not a shorter file.
/// </summary>
internal sealed class TextLines : IDisposable
{
    // Without this switch GZipStream ends quietly where a truncated file ends, even inside a line. .NET reads it once,
    // at its first decompression; the programs set it in their runtimeconfig (Directory.Build.props), and this covers
    // other programs using the readers, unless they decided it themselves.
    private const string StrictGzip = "System.IO.Compression.UseStrictValidation";

    static TextLines()
    {
        if (!AppContext.TryGetSwitch(StrictGzip, out _)) AppContext.SetSwitch(StrictGzip, true);
    }

    private readonly StreamReader _reader;
    private readonly string _path;

    public TextLines(string path, bool gzip)
    {
        _path = path;
        Stream stream = InputFile.OpenRead(path);
        if (gzip) stream = new GZipStream(stream, CompressionMode.Decompress);
        _reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
    }

    /// <summary>The 1-based number of the line last returned by <see cref="Next"/>.</summary>
    public int LineNumber { get; private set; }

    public string? Next()
    {
        string? line;
        try
        {
            line = _reader.ReadLine();
        }
        catch (InvalidDataException e)
        {
            // Only GZipStream throws this: the file is not gzip, is corrupt, or ends early.
            throw new InputDataException($"{_path}: not a valid gzip file, or a corrupt or truncated one (after line {LineNumber}: {e.Message}); " +
                "expected a whole gzip-compressed text file", e);
        }
        if (line is not null) LineNumber++;
        return line;
    }

    public void Dispose() => _reader.Dispose();
}
