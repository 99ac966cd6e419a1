using System.Text;
using System.Text.RegularExpressions;

namespace GpuSpread.IO;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new one: the content goes to
/// a temporary file in the same directory (<c>.{name}.tmp-{random}</c>), is flushed to disk, and is then
/// renamed over the target. When the writer throws, the temporary file is deleted and the target is untouched.
/// </summary>
internal static partial class AtomicFile
{
    /// <summary>Writes UTF-8 text (no byte-order mark) through <paramref name="write"/>.</summary>
    public static void WriteText(string path, Action<TextWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        WriteBytes(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            write(writer);
        });
    }

    public static void WriteBytes(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        string target = Path.GetFullPath(path);
        string temp = TemporaryPath(target);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, target, overwrite: true);
        }
        catch
        {
            // Exists is false, where Delete would throw, when the directory itself is missing.
            if (File.Exists(temp)) File.Delete(temp);
            throw;
        }
    }

    /// <summary>A fresh temporary name beside <paramref name="target"/>: <c>.{name}.tmp-{random}</c>.</summary>
    public static string TemporaryPath(string target) =>
        Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.tmp-{Guid.NewGuid():N}");

    /// <summary>Whether a file name is one of <see cref="TemporaryPath"/>'s.</summary>
    public static bool IsTemporary(string fileName) => TemporaryName().IsMatch(fileName);

    [GeneratedRegex(@"^\..+\.tmp-[0-9a-f]{32}$")]
    private static partial Regex TemporaryName();
}
