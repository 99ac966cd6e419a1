using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GpuSpread.Runner;
using GpuSpread.Tests.Active;

namespace GpuSpread.Tests.Output;

/// <summary>
/// The real program's results as one set. Killed (SIGKILL) at every step of opening <c>--out</c> and publishing a set
/// (the program's test hook, GPUSPREAD_TEST_OUTPUT_STEP, names the step), it leaves the previous set whole or the new
/// one whole, never a mix, and the next run removes what it left; a second run into the same <c>--out</c> is refused.
/// Each run labels its two classes 10 v + 1 and 10 v + 2, so that every file says which run wrote it.
/// </summary>
public sealed class OutputSetTests : IDisposable
{
    private const int Rows = 40;
    private static readonly string[] SpreadNames = ["distributions.csv", "predictions.csv", "summary.json"];
    private static readonly string[] SelfTrainNames = ["distributions.csv", "predictions.csv", "pseudo_labels.csv", "summary.json"];

    private readonly string _directory = Directory.CreateTempSubdirectory("gpuspread-output-").FullName;
    private readonly string _data;
    private int _variant;

    public OutputSetTests()
    {
        _data = Path.Combine(_directory, "x.csv");
        File.WriteAllLines(_data, Enumerable.Range(0, Rows).Select(i =>
            string.Create(CultureInfo.InvariantCulture, $"{(i < Rows / 2 ? i * 0.1 : 5 + i * 0.1)},{0.05 * (i % 3)}")));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A run's results: its command, and its variant v (classes 10 v + 1 and 10 v + 2).</summary>
    private readonly record struct RunSet(string Command, int Variant);

    /// <summary>Starts <c>gpuspread COMMAND</c> as a process, on labels of a variant of its own.</summary>
    private (Process Process, RunSet Set) Start(string command, string output, string? step = null)
    {
        int variant = ++_variant;
        string labels = Path.Combine(_directory, $"y{variant}.csv");
        File.WriteAllLines(labels, Enumerable.Range(0, Rows).Select(i =>
            i == 0 ? $"{10 * variant + 1}" : i == Rows - 1 ? $"{10 * variant + 2}" : "-1"));
        var start = new ProcessStartInfo(PseudoTerminal.DotnetPath())
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        string[] args = [Path.Combine(AppContext.BaseDirectory, "gpuspread.dll"), command, "--data", _data, "--labels", labels, "--out", output,
            "--gamma", "2", "--engine", "cpu", .. command == "self-train" ? (string[])["--threshold", "0.5"] : []];
        foreach (string arg in args) start.ArgumentList.Add(arg);
        if (step is not null) start.Environment["GPUSPREAD_TEST_OUTPUT_STEP"] = step;
        start.Environment["DOTNET_TieredCompilation"] = "1"; // half the start-up time of the program's full JIT, on runs this small
        var process = Process.Start(start)!;
        if (step?.StartsWith("pause", StringComparison.Ordinal) != true) process.StandardInput.Close();
        return (process, new RunSet(command, variant));
    }

    private static (int Code, string Stderr) Finish(Process process)
    {
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(60_000))
            {
                process.Kill();
                Assert.Fail("gpuspread did not end within a minute");
            }
            stdout.Wait();
            return (process.ExitCode, stderr.Result);
        }
    }

    private RunSet RunToEnd(string command, string output)
    {
        var (process, set) = Start(command, output);
        var (code, stderr) = Finish(process);
        Assert.True(code == ExitCodes.Success, stderr);
        return set;
    }

    private static bool Opens(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// The set a reader finds in <paramref name="output"/>, checked whole: the summary names the run, every file of its
    /// command opens and holds that run's classes, and no other result file opens.
    /// </summary>
    private static RunSet ReadSet(string output)
    {
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        long[] classes = [.. summary.RootElement.GetProperty("classes").EnumerateArray().Select(c => c.GetInt64())];
        var set = new RunSet(summary.RootElement.TryGetProperty("rule", out _) ? "self-train" : "spread", (int)(classes[0] / 10));
        Assert.Equal([10L * set.Variant + 1, 10L * set.Variant + 2], classes);

        var visible = Directory.GetFileSystemEntries(output).Where(e => Path.GetFileName(e)[0] != '.' && Opens(e)).Select(Path.GetFileName).Order();
        Assert.Equal(set.Command == "spread" ? SpreadNames : SelfTrainNames, visible);
        Assert.Equal([.. Enumerable.Repeat(classes[0], Rows / 2), .. Enumerable.Repeat(classes[1], Rows / 2)],
            File.ReadAllLines(Path.Combine(output, "predictions.csv")).Select(p => long.Parse(p, CultureInfo.InvariantCulture)));
        var distributions = File.ReadAllLines(Path.Combine(output, "distributions.csv"));
        Assert.Equal(string.Join(',', classes), distributions[0]);
        Assert.Equal(Rows + 1, distributions.Length);
        if (set.Command == "self-train")
            Assert.All(File.ReadAllLines(Path.Combine(output, "pseudo_labels.csv")).Skip(1),
                line => Assert.Contains(long.Parse(line.Split(',')[1], CultureInfo.InvariantCulture), classes));
        return set;
    }

    private static string State(string output, params string[] names) => Path.Combine([output, OutputDirectory.StateDirectory, .. names]);

    /// <summary>What only a killed run leaves: temporary files and links, and sets other than the current one.</summary>
    private static List<string> Leftovers(string output)
    {
        string? current = new FileInfo(State(output, "current")).LinkTarget;
        return
        [
            .. Directory.GetFileSystemEntries(output).Concat(Directory.GetFileSystemEntries(State(output))).Where(e => Path.GetFileName(e).Contains(".tmp-")),
            .. Directory.GetDirectories(State(output, "sets")).Where(set => current != $"sets/{Path.GetFileName(set)}"),
        ];
    }

    /// <summary>After a run that ended well: the set's links, the lock, the pointer and one set; nothing else.</summary>
    private static void AssertClean(string output, RunSet set)
    {
        string[] names = set.Command == "spread" ? SpreadNames : SelfTrainNames;
        Assert.Equal([OutputDirectory.StateDirectory, .. names], Directory.GetFileSystemEntries(output).Select(Path.GetFileName).Order());
        Assert.All(names, name => Assert.Equal($".gpuspread/current/{name}", new FileInfo(Path.Combine(output, name)).LinkTarget));
        Assert.Equal(["current", "lock", "sets"], Directory.GetFileSystemEntries(State(output)).Select(Path.GetFileName).Order());
        Assert.Equal([new FileInfo(State(output, "current")).LinkTarget], Directory.GetDirectories(State(output, "sets")).Select(d => $"sets/{Path.GetFileName(d)}"));
    }

    [Fact]
    public void AKillAtAnyStepLeavesTheOldSetOrTheNewOneWholeAndTheNextRunRemovesTheRest()
    {
        string output = Path.Combine(_directory, "out");
        var current = RunToEnd("spread", output);
        List<string> left = [];
        int kills = 0, leftovers = 0;
        // Both ways: a set that adds a file to the last one (self-train after spread) and one that drops it.
        foreach (var (command, before) in new[] { ("self-train", "spread"), ("spread", "self-train") })
            for (int step = 1; ; step++)
            {
                if (current.Command != before) current = RunToEnd(before, output);
                var (process, set) = Start(command, output, $"kill:{step}");
                var (code, stderr) = Finish(process);
                Assert.All(left, path => Assert.False(Path.Exists(path), $"{path}, left by a killed run, outlived the next run"));
                var found = ReadSet(output);
                Assert.True(found == current || found == set, $"{command} killed at step {step}: found {found}, neither {current} nor {set}");
                current = found;
                if (code == ExitCodes.Success)
                {
                    AssertClean(output, set);
                    break;
                }
                Assert.True(code == 137, $"{command} killed at step {step}: exit {code}: {stderr}");
                kills++;
                left = Leftovers(output);
                leftovers += left.Count;
            }
        Assert.True(kills >= 20, $"only {kills} kill points");
        Assert.True(leftovers > 0, "no kill left anything for the next run to remove");
    }

    [Fact]
    public void ASecondRunIntoTheSameOutIsRefusedWhileTheFirstHoldsIt()
    {
        string output = Path.Combine(_directory, "out");
        var (first, firstSet) = Start("spread", output, "pause:1");
        Assert.Contains("paused at output step 1", first.StandardError.ReadLine());

        var (second, _) = Start("self-train", output);
        var (code, stderr) = Finish(second);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"The 'out' parameter must be a directory no other gpuspread run is writing to (one holds {State(output, "lock")}", stderr);

        first.StandardInput.Close();
        (code, stderr) = Finish(first);
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Equal(firstSet, ReadSet(output));
        AssertClean(output, firstSet);

        // Started together without a pause: each ends or is refused, and the set is whole, of a run that ended.
        var runs = new[] { Start("spread", output), Start("self-train", output) };
        var codes = runs.Select(run => Finish(run.Process)).ToArray();
        Assert.All(codes, c => Assert.True(c.Code is ExitCodes.Success or ExitCodes.BadInput, c.Stderr));
        var found = ReadSet(output);
        Assert.Contains(found, runs.Where((_, i) => codes[i].Code == ExitCodes.Success).Select(run => run.Set));
        AssertClean(output, found);
    }
}
