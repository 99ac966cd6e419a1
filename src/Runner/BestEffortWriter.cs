using System.Text;

namespace GpuSpread.Runner;

/// <summary>
/// stderr as the commands write to it: diagnostics that cannot fail a run. Once a write fails (stderr closed with
/// <c>2&gt;&amp;-</c>, or a full disk), it and the rest are dropped, so that the exit code stays the run's own.
/// </summary>
public sealed class BestEffortWriter(TextWriter inner) : TextWriter
{
    private volatile bool _broken;

    /// <summary>The writer written to, for checks such as whether it is the console's.</summary>
    public TextWriter Inner => inner;

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value) => Try(() => inner.Write(value));

    public override void Write(string? value) => Try(() => inner.Write(value));

    public override void Write(char[] buffer, int index, int count) => Try(() => inner.Write(buffer, index, count));

    public override void WriteLine() => Try(inner.WriteLine);

    public override void WriteLine(string? value) => Try(() => inner.WriteLine(value));

    public override void Flush() => Try(inner.Flush);

    private void Try(Action write)
    {
        if (_broken) return;
        try
        {
            write();
        }
        // A closed descriptor (EBADF) comes as UnauthorizedAccessException, a full disk as IOException.
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _broken = true;
        }
    }
}
