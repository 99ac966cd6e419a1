using System.Diagnostics;

namespace GpuSpread.Runner;

/// <summary>
/// Progress on stderr for runs longer than a second: on a terminal one line rewritten in place, otherwise
/// a line every few seconds (so logs stay short). Silent for quick runs.
/// </summary>
public sealed class ConsoleProgress(TextWriter stderr, bool interactive) : IProgress<StageProgress>, IDisposable
{
    private static readonly TimeSpan QuietStart = TimeSpan.FromSeconds(1);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _gate = new();
    private TimeSpan? _lastWrite;
    private bool _lineOpen;

    public static ConsoleProgress ForStandardError(TextWriter stderr)
        => new(stderr, ReferenceEquals(stderr is BestEffortWriter writer ? writer.Inner : stderr, Console.Error) && !Console.IsErrorRedirected);

    public void Report(StageProgress value)
    {
        lock (_gate)
        {
            var now = _clock.Elapsed;
            if (now < QuietStart) return;
            var interval = interactive ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(5);
            bool stageDone = value.Done >= value.Total;
            if (now - _lastWrite < interval && !stageDone) return;
            _lastWrite = now;
            string text = Describe(value, now);
            if (interactive)
            {
                stderr.Write($"\r{text,-78}");
                _lineOpen = true;
            }
            else stderr.WriteLine(text);
        }
    }

    private static string Describe(StageProgress value, TimeSpan elapsed)
    {
        string amount = value.Stage switch
        {
            "iterate" => $"iteration {value.Done}/{value.Total}" + (double.IsNaN(value.Change) ? "" : $", change {value.Change:G3}"),
            "nn-descent" => $"round {value.Done} of at most {value.Total}" + (double.IsNaN(value.Change) ? "" : $", {value.Change:P2} of the list entries changed"),
            _ => value.Total > 1 ? $"{value.Done:N0}/{value.Total:N0} rows ({100.0 * value.Done / value.Total:F0}%)" : "",
        };
        return $"gpuspread: [{elapsed.TotalSeconds,7:F1} s] {value.Stage} {amount}";
    }

    public void Dispose()
    {
        lock (_gate)
            if (_lineOpen)
            {
                stderr.WriteLine();
                _lineOpen = false;
            }
    }
}
