using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace GpuSpread.Tests.IO;

/// <summary>A fresh directory under the system temp directory, deleted with its contents on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"gpuspread-io-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes <paramref name="text"/> as UTF-8 to a file in the directory and returns its path.</summary>
    public string WriteText(string name, string text)
    {
        string path = File(name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    public string WriteBytes(string name, byte[] bytes)
    {
        string path = File(name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Writes <paramref name="text"/> gzip-compressed, less the last <paramref name="cut"/> bytes of the file.</summary>
    public string WriteGzip(string name, string text, int cut = 0)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(Encoding.UTF8.GetBytes(text));
        return WriteBytes(name, compressed.ToArray()[..^cut]);
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Hand-built .npy files, for headers and data that <see cref="GpuSpread.IO.NpyWriter"/> does not write.</summary>
internal static class NpyBytes
{
    /// <summary>The magic, version <paramref name="major"/>.0, the header length and header, then <paramref name="data"/>.</summary>
    public static byte[] Build(int major, string header, byte[] data)
    {
        byte[] text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetBytes(header + "\n");
        int lengthBytes = major == 1 ? 2 : 4;
        var bytes = new byte[8 + lengthBytes + text.Length + data.Length];
        new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0 }.CopyTo(bytes, 0);
        if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)text.Length);
        else BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)text.Length);
        text.CopyTo(bytes, 8 + lengthBytes);
        data.CopyTo(bytes, 8 + lengthBytes + text.Length);
        return bytes;
    }

    public static string Header(string descr, string shape, bool fortran = false) =>
        $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shape}, }}";

    public static byte[] Doubles(params double[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), values[i]);
        return bytes;
    }
}
