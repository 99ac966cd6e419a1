using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Win32.SafeHandles;

namespace GpuSpread.Tests.Active;

/// <summary>
/// The real gpuspread program run on a pseudo-terminal (Linux: posix_openpt), so that it reads a person's typing
/// from a terminal and draws for one: a test types into the terminal and reads the screen's text back.
/// </summary>
internal sealed partial class PseudoTerminal : IDisposable
{
    private readonly FileStream _master;
    private readonly StringBuilder _output = new();
    private readonly Thread _reader;
    private readonly object _gate = new();

    private PseudoTerminal(FileStream master, Process process)
    {
        _master = master;
        Process = process;
        _reader = new Thread(Read) { IsBackground = true };
        _reader.Start();
    }

    public Process Process { get; }

    /// <summary>What the program has written so far, escape sequences removed.</summary>
    public string Screen
    {
        get
        {
            lock (_gate) return AnsiEscape().Replace(_output.ToString(), "");
        }
    }

    /// <summary>Starts <c>dotnet gpuspread.dll ARGS</c> (the program next to the tests) on a new pseudo-terminal.</summary>
    public static PseudoTerminal StartGpuSpread(params string[] args)
    {
        int fd = posix_openpt(O_RDWR | O_NOCTTY);
        if (fd < 0 || grantpt(fd) != 0 || unlockpt(fd) != 0)
            throw new InvalidOperationException($"no pseudo-terminal: errno {Marshal.GetLastPInvokeError()}");
        var name = new byte[128];
        if (ptsname_r(fd, name, name.Length) != 0) throw new InvalidOperationException($"ptsname_r failed: errno {Marshal.GetLastPInvokeError()}");
        string slave = Encoding.ASCII.GetString(name, 0, Array.IndexOf(name, (byte)0));
        var size = new WindowSize { Rows = 60, Columns = 120 };
        ioctl(fd, TIOCSWINSZ, ref size);

        // The shell opens the terminal as the program's stdin, stdout and stderr, then becomes the program. SIGINT
        // goes back to its default first, as a person's terminal has it: a test run started in the background by a
        // non-interactive shell (as CI scripts and tools do) ignores SIGINT, children inherit that, and .NET then
        // leaves Ctrl-C ignored, so the Ctrl-C test would wait for an exit that never comes.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (string arg in (string[])["-c", "exec env --default-signal=INT \"$0\" \"$@\" <\"$GPUSPREAD_PTY\" >\"$GPUSPREAD_PTY\" 2>&1", DotnetPath(),
                     Path.Combine(AppContext.BaseDirectory, "gpuspread.dll"), .. args])
            start.ArgumentList.Add(arg);
        start.Environment["GPUSPREAD_PTY"] = slave;
        start.Environment["TERM"] = "xterm";
        start.Environment.Remove("NO_COLOR");
        var process = Process.Start(start) ?? throw new InvalidOperationException("the program did not start");
        var master = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.ReadWrite, bufferSize: 0);
        return new PseudoTerminal(master, process);
    }

    /// <summary>Types <paramref name="text"/> and Enter, as a person at a terminal does.</summary>
    public void Type(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text + "\r");
        _master.Write(bytes);
        _master.Flush();
    }

    /// <summary>Waits until <paramref name="pattern"/> occurs at least <paramref name="count"/> times on the screen.</summary>
    public void WaitFor(string pattern, int count = 1, double seconds = 120)
    {
        var clock = Stopwatch.StartNew();
        while (Regex.Count(Screen, pattern) < count)
        {
            if (clock.Elapsed.TotalSeconds > seconds)
                throw new TimeoutException($"waited {seconds} s for '{pattern}' x{count}; the screen:\n{Tail()}");
            if (Process.HasExited && Regex.Count(Screen, pattern) < count)
            {
                Thread.Sleep(300); // the last output may still be in flight
                if (Regex.Count(Screen, pattern) >= count) return;
                throw new InvalidOperationException($"the program exited ({Process.ExitCode}) before '{pattern}' x{count}; the screen:\n{Tail()}");
            }
            Thread.Sleep(20);
        }
    }

    public int ExitCode(double seconds = 120)
    {
        if (!Process.WaitForExit(TimeSpan.FromSeconds(seconds)))
            throw new TimeoutException($"the program did not exit in {seconds} s; the screen:\n{Tail()}");
        Thread.Sleep(200); // let the reader drain the last output
        return Process.ExitCode;
    }

    /// <summary>Sends a signal to the program (2: SIGINT, as Ctrl-C does).</summary>
    public void Signal(int signal) => kill(Process.Id, signal);

    public string Tail(int characters = 4000)
    {
        string screen = Screen;
        return screen.Length <= characters ? screen : screen[^characters..];
    }

    private void Read()
    {
        var buffer = new byte[4096];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[8192];
        try
        {
            int read;
            while ((read = _master.Read(buffer)) > 0)
            {
                int count = decoder.GetChars(buffer, 0, read, chars, 0);
                lock (_gate) _output.Append(chars, 0, count);
            }
        }
        catch (IOException)
        {
            // EIO once the program has closed the terminal.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        if (!Process.HasExited) Process.Kill();
        Process.WaitForExit(10_000);
        Process.Dispose();
        _master.Dispose();
    }

    internal static string DotnetPath()
    {
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host) return host;
        return "dotnet";
    }

    [GeneratedRegex(@"\x1B(\[[0-9;?]*[ -/]*[@-~]|\][^\x07]*\x07|[=>()][0-9A-Za-z]?)")]
    private static partial Regex AnsiEscape();

    private const int O_RDWR = 2;
    private const int O_NOCTTY = 0x100;
    private const ulong TIOCSWINSZ = 0x5414;

    [StructLayout(LayoutKind.Sequential)]
    private struct WindowSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort XPixels;
        public ushort YPixels;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int posix_openpt(int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int grantpt(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int unlockpt(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int ptsname_r(int fd, byte[] buffer, nint length);

    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(int fd, ulong request, ref WindowSize size);

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
