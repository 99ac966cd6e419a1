using System.Text.Json;
using System.Text.RegularExpressions;
using GpuSpread.Active;
using GpuSpread.Runner;

namespace GpuSpread.Tests.Active;

/// <summary>
/// The terminal mode end to end: a scripted person reads the screen of the real program on a pseudo-terminal and
/// types the true digit of each row shown; the program is killed (SIGKILL) in the middle of a round, interrupted
/// with SIGINT (Ctrl-C), and quit with q, and every time <c>--resume</c> goes on from the journal with nothing lost:
/// the session ends with exactly the labels and picks of an uninterrupted answer-key run.
/// </summary>
public sealed partial class TerminalSessionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gpuspread-terminal-").FullName;
    private readonly long[] _truth = DigitsDemo.Load().Truth;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [GeneratedRegex(@"data row (\d+)")]
    private static partial Regex DataRow();

    private static string[] Session(string output, params string[] more) =>
        ["active", "--demo", "digits", "--oracle", "terminal", "--rounds", "3", "--batch", "3", "--engine", "cpu", "--out", output, .. more];

    /// <summary>Waits for prompt number <paramref name="prompt"/> and types the true digit of the row on the screen.</summary>
    private int AnswerTruly(PseudoTerminal terminal, int prompt)
    {
        terminal.WaitFor("label>", prompt);
        int row = int.Parse(DataRow().Matches(terminal.Screen)[^1].Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        terminal.Type(_truth[row].ToString(System.Globalization.CultureInfo.InvariantCulture));
        return row;
    }

    [Fact]
    public void APersonAtTheTerminalLosesNothingToKillCtrlCOrQuit()
    {
        string output = Path.Combine(_directory, "session");
        string journal = Path.Combine(output, ActiveCommand.JournalFile);

        // Run A: round 1 with a skip taken back by undo, one answer of round 2, then SIGKILL.
        using (var terminal = PseudoTerminal.StartGpuSpread(Session(output)))
        {
            AnswerTruly(terminal, 1);
            terminal.WaitFor("label>", 2);
            terminal.Type("s");
            terminal.WaitFor("label>", 3);
            Assert.Contains("skipped (saved)", terminal.Screen);
            terminal.Type("u");
            terminal.WaitFor("asking it again");
            AnswerTruly(terminal, 4);
            AnswerTruly(terminal, 5);
            AnswerTruly(terminal, 6); // round 2, row 1
            terminal.WaitFor("label>", 7); // the answer is on disk before the next row is shown
            string screen = terminal.Screen;
            Assert.Contains("Round 2 of 3", screen);
            Assert.Contains("the model's guesses", screen);
            Assert.Contains("██", screen); // the digit drawn in shades
            Assert.Contains("precision    recall  f1-score   support", screen);
            terminal.Process.Kill();
            terminal.Process.WaitForExit();
        }
        var afterKill = ActiveJournal.Read(journal);
        Assert.Equal(4, afterKill.AnswerCount);
        Assert.Equal(2, afterKill.Rounds.Count);

        // Run B: resume, one more answer, then Ctrl-C (SIGINT) at the prompt.
        using (var terminal = PseudoTerminal.StartGpuSpread(Session(output, "--resume")))
        {
            terminal.WaitFor("resuming from");
            terminal.WaitFor("Row 2 of 3 in round 2"); // round 2 goes on where it stopped
            AnswerTruly(terminal, 1);
            terminal.WaitFor("label>", 2);
            terminal.Signal(2);
            Assert.Equal(ExitCodes.Failure, terminal.ExitCode());
            Assert.Contains("cancelled; every answer given is in", terminal.Screen);
        }
        Assert.Equal(5, ActiveJournal.Read(journal).AnswerCount);

        // Run C: resume, finish round 2, one answer of round 3, then q.
        using (var terminal = PseudoTerminal.StartGpuSpread(Session(output, "--resume")))
        {
            AnswerTruly(terminal, 1);
            AnswerTruly(terminal, 2);
            terminal.WaitFor("label>", 3);
            terminal.Type("q");
            Assert.Equal(ExitCodes.Success, terminal.ExitCode());
            Assert.Contains("stopped at your request", terminal.Screen);
        }
        Assert.Equal(7, ActiveJournal.Read(journal).AnswerCount);

        // Run D: resume and finish.
        using (var terminal = PseudoTerminal.StartGpuSpread(Session(output, "--resume")))
        {
            AnswerTruly(terminal, 1);
            AnswerTruly(terminal, 2);
            Assert.Equal(ExitCodes.Success, terminal.ExitCode());
        }
        Assert.Equal(9, ActiveJournal.Read(journal).AnswerCount);

        // The same session as an uninterrupted answer-key run.
        string simulation = Path.Combine(_directory, "simulation");
        var stderr = new StringWriter();
        Assert.Equal(ExitCodes.Success, GpuSpread.Runner.Cli.Run(
            ["active", "--demo", "digits", "--rounds", "3", "--batch", "3", "--engine", "cpu", "--out", simulation], new StringWriter(), stderr));
        Assert.Equal(File.ReadAllLines(Path.Combine(simulation, "labels.csv")), File.ReadAllLines(Path.Combine(output, "labels.csv")));
        Assert.Equal(Picks(simulation), Picks(output));
        Assert.Equal(Accuracies(simulation), Accuracies(output));
    }

    private static List<int[]> Picks(string directory)
    {
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "report.json")));
        return [.. report.RootElement.GetProperty("rounds").EnumerateArray().Select(r => r.GetProperty("picked").EnumerateArray().Select(e => e.GetInt32()).ToArray())];
    }

    private static List<double> Accuracies(string directory)
    {
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "report.json")));
        return [.. report.RootElement.GetProperty("rounds").EnumerateArray().Select(r => r.GetProperty("accuracy").GetDouble())];
    }

    /// <summary>A person in-process: reads what the program printed and answers; here with mistakes the program must catch.</summary>
    private sealed class ScriptedPerson(StringWriter screen, Func<string, string?> next) : TextReader
    {
        public override string? ReadLine() => next(screen.ToString());
    }

    [Fact]
    public void ALabelOutsideTheLabelRangeIsNotTaken()
    {
        string output = Path.Combine(_directory, "range");
        var stdout = new StringWriter();
        var script = new Queue<string>(["1099511627776", "q"]);
        var person = new ScriptedPerson(stdout, _ => script.Count > 0 ? script.Dequeue() : "q");
        var stderr = new StringWriter();
        int code = ActiveCommand.Invoke(["--demo", "digits", "--oracle", "terminal", "--engine", "cpu", "--out", output], stdout, stderr, person);
        Assert.True(code == ExitCodes.Success, stderr.ToString());
        Assert.Contains("'1099511627776' is not a label", stdout.ToString());
        Assert.Contains("-2147483648 to 2147483647", Regex.Replace(stdout.ToString(), @"\s+", " "));
        Assert.Equal(0, ActiveJournal.Read(Path.Combine(output, ActiveCommand.JournalFile)).AnswerCount);
    }

    [Fact]
    public void TypingMistakesAreExplainedAndNothingIsRecordedForThem()
    {
        string output = Path.Combine(_directory, "mistakes");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var script = new Queue<string>(["abc", "-1", "12", "?", "", "TRUE", "q"]);
        var person = new ScriptedPerson(stdout, screen =>
        {
            string step = script.Count > 0 ? script.Dequeue() : "q";
            if (step != "TRUE") return step;
            var rows = DataRow().Matches(screen);
            Assert.True(rows.Count > 0, "no row shown on the screen:\n" + screen);
            return _truth[int.Parse(rows[^1].Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)].ToString(System.Globalization.CultureInfo.InvariantCulture);
        });
        int code = ActiveCommand.Invoke(["--demo", "digits", "--oracle", "terminal", "--classes", "0-9", "--engine", "cpu", "--out", output],
            stdout, stderr, person);
        Assert.True(code == ExitCodes.Success, stderr.ToString());
        string text = stdout.ToString();
        Assert.Contains("'abc' is not a label", text);
        Assert.Contains("'-1' is not a label", text);
        Assert.Contains("12 is not one of the allowed classes (one of 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)", text);
        Assert.Contains("undo the last answer of this round", text); // the help
        Assert.Contains("(saved)", text);
        Assert.Contains("stopped at your request", stderr.ToString());
        Assert.Equal(1, ActiveJournal.Read(Path.Combine(output, ActiveCommand.JournalFile)).AnswerCount);

        // Without --resume the session is not overwritten.
        var again = new StringWriter();
        Assert.Equal(ExitCodes.BadInput, ActiveCommand.Invoke(["--demo", "digits", "--oracle", "terminal", "--out", output],
            new StringWriter(), again, new StringReader("")));
        Assert.Contains("already holds a session; run with --resume", again.ToString());
        // A resume with other settings is refused, naming the difference.
        var other = new StringWriter();
        Assert.Equal(ExitCodes.BadInput, ActiveCommand.Invoke(["--demo", "digits", "--oracle", "terminal", "--batch", "4", "--resume", "--out", output],
            new StringWriter(), other, new StringReader("")));
        Assert.Contains("batch: the journal has 5, this run 4", other.ToString());
        // End of input stops like q, keeping the answers.
        var eof = new StringWriter();
        Assert.Equal(ExitCodes.Success, ActiveCommand.Invoke(["--demo", "digits", "--oracle", "terminal", "--resume", "--out", output],
            new StringWriter(), eof, new StringReader("")));
        Assert.Equal(1, ActiveJournal.Read(Path.Combine(output, ActiveCommand.JournalFile)).AnswerCount);
    }
}
