using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using GpuSpread.IO;

namespace GpuSpread.Runner;

/// <summary>
/// A command's <c>--out</c>, whose results are published as one set (docs/cli.md, "Outputs"). A set is written into a
/// directory of its own, <c>.gpuspread/sets/ID/</c>, and published by one rename that points the symbolic link
/// <c>.gpuspread/current</c> at it; each result in <c>--out</c> is a link through that one
/// (<c>predictions.csv -> .gpuspread/current/predictions.csv</c>). Wherever the writer is stopped, a reader finds the
/// previous set whole or the new one whole (a name the set it finds lacks does not open). A lock on
/// <c>.gpuspread/lock</c>, held while this object lives and dropped by the kernel with the process, refuses a second
/// run; the next run removes whatever a killed one left.
/// </summary>
public sealed partial class OutputDirectory : IDisposable
{
    public const string StateDirectory = ".gpuspread";
    private const string Current = "current";
    private const string Sets = "sets";

    // Linux's EWOULDBLOCK, which .NET gives as the HResult when the lock behind FileShare.None (flock) is held elsewhere.
    private const int LockHeld = 11;

    private readonly string _full;
    private readonly string _state;
    private readonly FileStream _lock;
    private readonly string? _created;

    private OutputDirectory(string full, FileStream held, string? created)
    {
        _full = full;
        _state = Path.Combine(full, StateDirectory);
        _lock = held;
        _created = created;
    }

    /// <summary>Refuses, before anything is read, an <c>--out</c> that cannot be a directory.</summary>
    /// <exception cref="InvalidParameterException">an empty path, or a path that names a file or lies under one.</exception>
    public static void Check(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new InvalidParameterException("out", path, "a directory path (created if missing)");
        string full = FullPath(path);
        for (string? directory = full; directory is not null && !Directory.Exists(directory); directory = Path.GetDirectoryName(directory))
            if (File.Exists(directory))
                throw new InvalidParameterException("out", path, directory == full
                    ? "a directory (created if missing), not an existing file"
                    : $"a directory (created if missing), but {directory} is a file");
    }

    /// <summary>Creates the directory where missing, locks it for as long as this object lives, and removes what killed runs left.</summary>
    /// <exception cref="InvalidParameterException">a bad path (<see cref="Check"/>), or another run holds the directory.</exception>
    public static OutputDirectory Open(string path)
    {
        Check(path);
        string full = FullPath(path);
        string? created = null;
        for (string? directory = full; directory is not null && !Directory.Exists(directory); directory = Path.GetDirectoryName(directory))
            created = directory;
        var held = CreateAndLock(path, full);
        var output = new OutputDirectory(full, held, created);
        try
        {
            output.RemoveLeftovers();
        }
        catch
        {
            output.Dispose();
            throw;
        }
        Step();
        return output;
    }

    /// <summary>A new, empty set to write the results into; nothing is visible in <c>--out</c> until it is committed.</summary>
    public OutputSet Stage()
    {
        string directory = Path.Combine(_state, Sets, string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}-{Guid.NewGuid():N}"));
        Directory.CreateDirectory(directory);
        Step();
        return new OutputSet(this, directory);
    }

    /// <summary>
    /// Publishes <paramref name="set"/>: its files and directory go to disk, each of its names gets its link in
    /// <c>--out</c> (a name the current set lacks opens nothing yet), then one rename makes it the current set; the
    /// links to names it lacks and the previous set are removed after.
    /// </summary>
    internal void Publish(OutputSet set)
    {
        var names = Directory.GetFiles(set.Directory).Select(file => Path.GetFileName(file)).ToList();
        Sync(set.Directory);
        Sync(Path.Combine(_state, Sets));
        Step();
        string? previous = CurrentSet();
        foreach (string name in names)
        {
            string link = Path.Combine(_full, name);
            if (!IsSetLink(link)) PlaceLink(link, SetLinkTarget(name));
        }
        Sync(_full);

        PlaceLink(Path.Combine(_state, Current), $"{Sets}/{Path.GetFileName(set.Directory)}");
        set.Published = true;
        Sync(_state);

        if (previous is null || !Directory.Exists(previous)) return;
        foreach (string old in Directory.GetFiles(previous))
        {
            string link = Path.Combine(_full, Path.GetFileName(old));
            if (!names.Contains(Path.GetFileName(old)) && IsSetLink(link))
            {
                File.Delete(link);
                Step();
            }
        }
        Directory.Delete(previous, recursive: true);
        Step();
    }

    /// <summary>Lets go of the lock; a directory this run created and published nothing into is removed first.</summary>
    public void Dispose()
    {
        try
        {
            if (_created is not null && CurrentSet() is null
                && Directory.EnumerateFileSystemEntries(_full).All(entry => Path.GetFileName(entry) == StateDirectory))
            {
                Directory.Delete(_state, recursive: true);
                for (string directory = _full; !Directory.EnumerateFileSystemEntries(directory).Any(); directory = Path.GetDirectoryName(directory)!)
                {
                    Directory.Delete(directory);
                    if (directory == _created) break;
                }
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // What is left is empty and harmless; the error that ends the run, if any, is the one to report.
        }
        _lock.Dispose();
    }

    private static string FullPath(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    private static FileStream CreateAndLock(string path, string full)
    {
        string lockPath = Path.Combine(full, StateDirectory, "lock");
        while (true)
        {
            Directory.CreateDirectory(Path.Combine(full, StateDirectory, Sets));
            FileStream held;
            try
            {
                held = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException error) when (error.HResult == LockHeld)
            {
                throw new InvalidParameterException("out", path,
                    $"a directory no other gpuspread run is writing to (one holds {lockPath}: wait for it to end, or choose another --out)");
            }
            if (File.Exists(lockPath)) return held;
            // A run that failed in a directory it had created removed it, lock and all, before letting go: start again.
            held.Dispose();
        }
    }

    /// <summary>Sets other than the current one, temporary files and links, and links to names the current set lacks.</summary>
    private void RemoveLeftovers()
    {
        string? current = CurrentSet();
        foreach (string set in Directory.GetDirectories(Path.Combine(_state, Sets)))
            if (set != current) Directory.Delete(set, recursive: true);
        foreach (string directory in (string[])[_full, _state])
            foreach (string entry in Directory.GetFileSystemEntries(directory))
                if (AtomicFile.IsTemporary(Path.GetFileName(entry))) File.Delete(entry);
        foreach (string entry in Directory.GetFileSystemEntries(_full))
            if (IsSetLink(entry) && (current is null || !File.Exists(Path.Combine(current, Path.GetFileName(entry)))))
                File.Delete(entry);
    }

    /// <summary>The current set's directory (null before the first set is published).</summary>
    private string? CurrentSet() =>
        new FileInfo(Path.Combine(_state, Current)).LinkTarget is { } target ? Path.Combine(_state, target) : null;

    private static string SetLinkTarget(string name) => $"{StateDirectory}/{Current}/{name}";

    private static bool IsSetLink(string path) => new FileInfo(path).LinkTarget == SetLinkTarget(Path.GetFileName(path));

    /// <summary>Points <paramref name="path"/> at <paramref name="target"/> by one rename, replacing whatever was there.</summary>
    private static void PlaceLink(string path, string target)
    {
        string temporary = AtomicFile.TemporaryPath(path);
        File.CreateSymbolicLink(temporary, target);
        try
        {
            Step();
            if (Rename(temporary, path) != 0) throw NativeError($"cannot rename {temporary} to {path}");
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
        Step();
    }

    /// <summary>Writes a directory's entries to disk, so that a power cut cannot lose what the next step publishes.</summary>
    private static void Sync(string directory)
    {
        int descriptor = OpenReadOnly(directory, 0);
        if (descriptor < 0) throw NativeError($"cannot open {directory}");
        try
        {
            if (FileSync(descriptor) != 0) throw NativeError($"cannot flush {directory} to disk");
        }
        finally
        {
            Close(descriptor);
        }
    }

    private static IOException NativeError(string what) => new($"{what}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");

    [LibraryImport("libc", EntryPoint = "rename", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Rename(string from, string to);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int OpenReadOnly(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FileSync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);

    // Test hook: GPUSPREAD_TEST_OUTPUT_STEP=kill:N (SIGKILL) or pause:N (until stdin closes) stops the process at the Nth
    // step of opening and publishing its outputs, so that tests/Output can look at the directory wherever a kill may land.
    private static readonly string[]? StepHook = Environment.GetEnvironmentVariable("GPUSPREAD_TEST_OUTPUT_STEP")?.Split(':');
    private static int s_steps;

    internal static void Step()
    {
        if (StepHook is not [var action, var at] || ++s_steps != int.Parse(at, CultureInfo.InvariantCulture)) return;
        if (action == "kill") Process.GetCurrentProcess().Kill();
        Console.Error.WriteLine($"gpuspread: paused at output step {s_steps}");
        Console.In.ReadToEnd();
    }
}

/// <summary>
/// One set of results (see <see cref="OutputDirectory"/>): the files are written to <see cref="File"/>'s paths, and
/// <see cref="Commit"/> publishes them together; disposed without a commit, they are deleted.
/// </summary>
public sealed class OutputSet : IDisposable
{
    private readonly OutputDirectory _output;

    internal OutputSet(OutputDirectory output, string directory)
    {
        _output = output;
        Directory = directory;
    }

    internal string Directory { get; }

    internal bool Published { get; set; }

    /// <summary>Where to write the result file <paramref name="name"/> of this set.</summary>
    public string File(string name)
    {
        OutputDirectory.Step();
        return Path.Combine(Directory, name);
    }

    public void Commit() => _output.Publish(this);

    public void Dispose()
    {
        if (!Published) System.IO.Directory.Delete(Directory, recursive: true);
    }
}
