using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace GpuSpread.IO;

/// <summary>The element types the readers accept in .npy files.</summary>
internal enum NpyType { Float32, Float64, Int8, UInt8, Int32, Int64 }

/// <summary>A parsed .npy header.</summary>
/// <param name="Descr">The dtype as written, e.g. '&lt;f4'.</param>
/// <param name="DataOffset">Where the data starts: after the magic, the version, the length and the header.</param>
internal sealed record NpyHeader(NpyType Type, string Descr, int ItemSize, long[] Shape, long DataOffset)
{
    public string ShapeText => Shape.Length == 1 ? $"({Shape[0]},)" : $"({string.Join(", ", Shape)})";
}

/// <summary>
/// The NumPy .npy format (versions 1.0, 2.0 and 3.0; see numpy.lib.format): a magic string, a version,
/// a little-endian header length, a Python dict literal with descr, fortran_order and shape, then the raw data.
/// </summary>
internal static partial class Npy
{
    public const string AllowedDtypes =
        "float32 ('<f4'), float64 ('<f8'), int32 ('<i4'), int64 ('<i8'), int8 ('|i1') or uint8 ('|u1')";

    // One read moves at most this many bytes: a span's length is an int.
    private const int MaxChunkBytes = 1 << 30;
    // numpy itself refuses headers over 10,000 bytes by default.
    private const int MaxHeaderBytes = 1 << 20;

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    [GeneratedRegex("""['"]descr['"]\s*:\s*(?:'(?<v>[^']*)'|"(?<v>[^"]*)"|(?<list>\[))""")]
    private static partial Regex DescrRegex();

    [GeneratedRegex("""['"]fortran_order['"]\s*:\s*(?<v>True|False)""")]
    private static partial Regex FortranRegex();

    [GeneratedRegex("""['"]shape['"]\s*:\s*\((?<v>[^)]*)\)""")]
    private static partial Regex ShapeRegex();

    [GeneratedRegex("^(?<order>[<>|=])(?<kind>[a-zA-Z])(?<size>[0-9]*)$")]
    private static partial Regex DtypeRegex();

    /// <summary>Reads and checks the header, leaving <paramref name="stream"/> at the start of the data.</summary>
    public static NpyHeader ReadHeader(Stream stream, string path)
    {
        long fileLength = stream.Length;
        if (fileLength == 0) throw InputFile.Fail(path, "the file is empty; expected a NumPy .npy file");
        if (fileLength < 10)
            throw InputFile.Fail(path, $"truncated: the file is {fileLength} bytes long, shorter than any .npy header");
        Span<byte> prefix = stackalloc byte[12];
        stream.ReadExactly(prefix[..8]);
        if (!prefix[..6].SequenceEqual(Magic))
            throw InputFile.Fail(path, "not a NumPy .npy file: it does not start with the magic string \\x93NUMPY");
        byte major = prefix[6], minor = prefix[7];
        if (major is < 1 or > 3 || minor != 0)
            throw InputFile.Fail(path, $"unsupported .npy format version {major}.{minor}; supported versions are 1.0, 2.0 and 3.0");

        int lengthBytes = major == 1 ? 2 : 4;
        if (fileLength < 8 + lengthBytes) throw InputFile.Fail(path, "truncated: the file ends inside the .npy header");
        stream.ReadExactly(prefix.Slice(8, lengthBytes));
        long headerLength = major == 1
            ? BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..])
            : BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
        long dataOffset = 8 + lengthBytes + headerLength;
        if (headerLength > MaxHeaderBytes)
            throw InputFile.Fail(path, $"invalid .npy header: it claims to be {headerLength} bytes long (at most {MaxHeaderBytes} allowed)");
        if (dataOffset > fileLength)
            throw InputFile.Fail(path, $"truncated: the .npy header is {headerLength} bytes long but the file ends after {fileLength} bytes");

        var bytes = new byte[headerLength];
        stream.ReadExactly(bytes);
        // Versions 1.0 and 2.0 encode the header in latin1, 3.0 in UTF-8.
        string text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(bytes);
        return ParseHeader(path, text.Trim(), dataOffset);
    }

    private static NpyHeader ParseHeader(string path, string text, long dataOffset)
    {
        Match descr = DescrRegex().Match(text);
        Match fortran = FortranRegex().Match(text);
        Match shape = ShapeRegex().Match(text);
        if (!text.StartsWith('{') || !descr.Success || !fortran.Success || !shape.Success)
            throw InputFile.Fail(path, $"invalid .npy header, expected a dict with 'descr', 'fortran_order' and 'shape': {Shorten(text)}");
        if (descr.Groups["list"].Success)
            throw InputFile.Fail(path, $"structured arrays (record dtypes) are not supported; allowed dtypes: {AllowedDtypes}");

        string dtype = descr.Groups["v"].Value;
        long[] dims = ParseShape(path, shape.Groups["v"].Value, text);
        var (type, itemSize) = ParseDtype(path, dtype);
        var header = new NpyHeader(type, dtype, itemSize, dims, dataOffset);

        // Fortran order only changes the layout when two or more dimensions exceed 1.
        int nonTrivial = 0;
        foreach (long d in dims) if (d > 1) nonTrivial++;
        if (fortran.Groups["v"].Value == "True" && nonTrivial > 1)
            throw InputFile.Fail(path, $"the array of shape {header.ShapeText} is stored in Fortran (column-major) order, which is not supported; " +
                "save it in C order, e.g. np.save(path, np.ascontiguousarray(x))");
        return header;
    }

    private static long[] ParseShape(string path, string tuple, string text)
    {
        var dims = new List<long>();
        foreach (string part in tuple.Split(','))
        {
            // Python 2 wrote longs with an L suffix.
            string item = part.Trim().TrimEnd('L');
            if (item.Length == 0) continue;
            if (!long.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out long d))
                throw InputFile.Fail(path, $"invalid .npy header, the shape is not a tuple of non-negative integers: {Shorten(text)}");
            dims.Add(d);
        }
        return [.. dims];
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";

    private static (NpyType Type, int ItemSize) ParseDtype(string path, string descr)
    {
        Match m = DtypeRegex().Match(descr);
        if (m.Success && m.Groups["kind"].Value == "O")
            throw InputFile.Fail(path, "object arrays (dtype 'O') are not supported: they hold pickled Python objects; " +
                $"save a numeric array, e.g. x.astype(np.float64); allowed dtypes: {AllowedDtypes}");
        (NpyType Type, int ItemSize)? known = m.Success ? (m.Groups["kind"].Value, m.Groups["size"].Value) switch
        {
            ("f", "4") => (NpyType.Float32, 4),
            ("f", "8") => (NpyType.Float64, 8),
            ("i", "1") => (NpyType.Int8, 1),
            ("u", "1") => (NpyType.UInt8, 1),
            ("i", "4") => (NpyType.Int32, 4),
            ("i", "8") => (NpyType.Int64, 8),
            _ => null,
        } : null;
        if (known is not { } result)
            throw InputFile.Fail(path, $"unsupported dtype '{descr}'; allowed dtypes: {AllowedDtypes}");
        if (m.Groups["order"].Value == ">" && result.ItemSize > 1)
            throw InputFile.Fail(path, $"big-endian data (dtype '{descr}') is not supported; " +
                $"convert to little-endian before saving, e.g. x.astype('<{descr[1..]}')");
        return result;
    }

    /// <summary>
    /// The element count, checked against the largest .NET array, and the data's length against the file's.
    /// </summary>
    public static int CheckDataLength(Stream stream, NpyHeader header, string path)
    {
        long count = 1;
        foreach (long d in header.Shape)
        {
            count *= d;
            if (count > Array.MaxLength)
                throw InputFile.Fail(path, $"the array of shape {header.ShapeText} is too large: more than {Array.MaxLength} elements");
        }
        long expected = count * header.ItemSize;
        long actual = stream.Length - header.DataOffset;
        if (actual < expected)
            throw InputFile.Fail(path, $"truncated: shape {header.ShapeText} of dtype '{header.Descr}' needs {expected} data bytes " +
                $"but only {actual} follow the header");
        if (actual > expected)
            throw InputFile.Fail(path, $"wrong data size: shape {header.ShapeText} of dtype '{header.Descr}' needs {expected} data bytes " +
                $"but {actual} follow the header");
        return (int)count;
    }

    /// <summary>Reads float32 data as it is (the header's type must be <see cref="NpyType.Float32"/>).</summary>
    public static float[] ReadSingle(Stream stream, int count)
    {
        var data = new float[count];
        ReadRaw(stream, data);
        return data;
    }

    /// <summary>Reads the data of any accepted type, converted to float64.</summary>
    public static double[] ReadDouble(Stream stream, NpyType type, int count)
    {
        var data = new double[count];
        switch (type)
        {
            case NpyType.Float64: ReadRaw(stream, data); break;
            case NpyType.Float32: ReadConverted<float>(stream, data); break;
            case NpyType.Int8: ReadConverted<sbyte>(stream, data); break;
            case NpyType.UInt8: ReadConverted<byte>(stream, data); break;
            case NpyType.Int32: ReadConverted<int>(stream, data); break;
            case NpyType.Int64: ReadConverted<long>(stream, data); break;
        }
        return data;
    }

    /// <summary>Streams the bytes straight into the array, in chunks a span can hold.</summary>
    private static void ReadRaw<T>(Stream stream, T[] data) where T : unmanaged
    {
        int chunk = MaxChunkBytes / Unsafe.SizeOf<T>();
        for (long start = 0; start < data.Length; start += chunk)
            stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan((int)start, (int)Math.Min(chunk, data.Length - start))));
    }

    private static void ReadConverted<T>(Stream stream, double[] data) where T : unmanaged, INumberBase<T>
    {
        var buffer = new T[Math.Min(data.Length, 1 << 16)];
        for (long start = 0; start < data.Length; start += buffer.Length)
        {
            var chunk = buffer.AsSpan(0, (int)Math.Min(buffer.Length, data.Length - start));
            stream.ReadExactly(MemoryMarshal.AsBytes(chunk));
            var target = data.AsSpan((int)start, chunk.Length);
            for (int i = 0; i < chunk.Length; i++) target[i] = double.CreateTruncating(chunk[i]);
        }
    }

    /// <summary>
    /// A version 1.0 header for a little-endian C-order array: the dict padded with spaces so that the
    /// data starts at a multiple of 64 bytes, ending in '\n'.
    /// </summary>
    public static byte[] BuildHeader(string descr, ReadOnlySpan<long> shape)
    {
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape.ToArray());
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        int total = (10 + dict.Length + 1 + 63) / 64 * 64;
        string text = dict.PadRight(total - 10 - 1) + "\n";
        var header = new byte[total];
        Magic.CopyTo(header);
        header[6] = 1;
        header[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), checked((ushort)text.Length));
        Encoding.Latin1.GetBytes(text, header.AsSpan(10));
        return header;
    }

    /// <summary>Writes the array's bytes, in chunks a span can hold.</summary>
    public static void WriteRaw<T>(Stream stream, T[] data) where T : unmanaged
    {
        int chunk = MaxChunkBytes / Unsafe.SizeOf<T>();
        for (long start = 0; start < data.Length; start += chunk)
            stream.Write(MemoryMarshal.AsBytes(data.AsSpan((int)start, (int)Math.Min(chunk, data.Length - start))));
    }
}
