using System.Globalization;
using System.Text.Json;
using GpuSpread.Active;
using GpuSpread.IO;
using GpuSpread.Runner;
using static GpuSpread.Tests.CliHarness;

namespace GpuSpread.Tests.Active;

/// <summary><c>gpuspread active</c> in-process: the file round-trip, data from files, and the messages for bad input.</summary>
public sealed class ActiveCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gpuspread-active-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    /// <summary>Fills the label cells of a batch file with the answer key (one as "3.0", as spreadsheets write), or only the first <paramref name="count"/>.</summary>
    private static void Fill(string path, long[] truth, int count = int.MaxValue)
    {
        var lines = File.ReadAllLines(path);
        for (int i = 1; i < lines.Length && i <= count; i++)
        {
            var cells = lines[i].Split(',');
            long label = truth[int.Parse(cells[0], CultureInfo.InvariantCulture)];
            cells[1] = i == 1 ? $"{label}.0" : label.ToString(CultureInfo.InvariantCulture);
            lines[i] = string.Join(',', cells);
        }
        File.WriteAllLines(path, lines);
    }

    [Fact]
    public void AFileRoundTripEndsWhereTheAnswerKeyRunEnds()
    {
        var truth = DigitsDemo.Load().Truth;
        string output = PathOf("team");
        string[] session = ["active", "--demo", "digits", "--oracle", "file", "--rounds", "2", "--batch", "3", "--engine", "cpu", "--out", output];

        var (code, _, stderr) = Run(session);
        Assert.True(code == ExitCodes.Success, stderr);
        string first = FileRoundTripOracle.BatchPath(output, 1);
        Assert.Contains($"wrote the 3 rows to label to {first}", stderr);
        var lines = File.ReadAllLines(first);
        Assert.Equal("row,label,guess_1,probability_1,guess_2,probability_2,guess_3,probability_3,entropy", lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.All(lines.Skip(1), l => Assert.Equal("", l.Split(',')[1]));
        using (var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json"))))
        {
            Assert.Equal("oracle_stopped", report.RootElement.GetProperty("stop").GetString());
            Assert.All(report.RootElement.GetProperty("rounds")[0].GetProperty("picked_rows").EnumerateArray(),
                r => Assert.True(r.GetProperty("pending").GetBoolean()));
        }

        // Resumed before anything is filled in: nothing happens, and it says so.
        (code, _, stderr) = Run([.. session, "--resume"]);
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("3 of 3 rows have no label yet", stderr);

        Fill(first, truth);
        (code, _, stderr) = Run([.. session, "--resume"]);
        Assert.True(code == ExitCodes.Success, stderr);
        string second = FileRoundTripOracle.BatchPath(output, 2);
        Assert.True(File.Exists(second), stderr);

        Fill(second, truth, count: 2);
        (code, _, stderr) = Run([.. session, "--resume"]);
        Assert.Contains("1 of 3 rows have no label yet", stderr);

        var rows = File.ReadAllLines(second);
        var last = rows[3].Split(',');
        Assert.Equal("", last[1]);
        last[1] = "skip";
        rows[3] = string.Join(',', last);
        File.WriteAllLines(second, rows);
        (code, _, stderr) = Run([.. session, "--resume"]);
        Assert.True(code == ExitCodes.Success, stderr);
        using (var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json"))))
        {
            Assert.Equal("rounds_done", report.RootElement.GetProperty("stop").GetString());
            Assert.Equal(6 + 10 - 1, report.RootElement.GetProperty("final").GetProperty("n_labeled").GetInt32());
        }

        // The same picks as the answer-key simulation; the labels too, except the skipped row.
        string simulation = PathOf("simulation");
        (code, _, stderr) = Run("active", "--demo", "digits", "--rounds", "2", "--batch", "3", "--engine", "cpu", "--out", simulation);
        Assert.True(code == ExitCodes.Success, stderr);
        var expected = File.ReadAllLines(Path.Combine(simulation, "labels.csv"));
        var actual = File.ReadAllLines(Path.Combine(output, "labels.csv"));
        int skipped = int.Parse(rows[3].Split(',')[0], CultureInfo.InvariantCulture);
        expected[skipped] = "-1";
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void ABadCellInABatchFileIsNamedByFileAndLine()
    {
        string output = PathOf("bad");
        string[] session = ["active", "--demo", "digits", "--oracle", "file", "--rounds", "1", "--batch", "2", "--engine", "cpu", "--classes", "0-9", "--out", output];
        Assert.Equal(ExitCodes.Success, Run(session).Code);
        string batch = FileRoundTripOracle.BatchPath(output, 1);
        var lines = File.ReadAllLines(batch);
        string row = lines[2].Split(',')[0];
        lines[2] = lines[2].Replace($"{row},", $"{row},seven");
        File.WriteAllLines(batch, lines);
        var (code, _, stderr) = Run([.. session, "--resume"]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"{batch}: line 3: the label 'seven' of row {row} is not allowed; expected one of 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 'skip', or nothing", stderr);

        lines[2] = lines[2].Replace($"{row},seven", $"{row},11");
        File.WriteAllLines(batch, lines);
        (code, _, stderr) = Run([.. session, "--resume"]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"{batch}: line 3: the label 11 of row {row} is not one of the allowed classes", stderr);

        lines[2] = "999," + string.Join(',', lines[2].Split(',').Skip(1));
        File.WriteAllLines(batch, lines);
        (code, _, stderr) = Run([.. session, "--resume"]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"{batch}: line 3: row 999 is not in round 1's batch", stderr);
    }

    [Fact]
    public void ABatchLabelOutsideTheLabelRangeExitsWithTwo()
    {
        string output = PathOf("range");
        string[] session = ["active", "--demo", "digits", "--oracle", "file", "--rounds", "1", "--batch", "2", "--engine", "cpu", "--out", output];
        Assert.Equal(ExitCodes.Success, Run(session).Code);
        string batch = FileRoundTripOracle.BatchPath(output, 1);
        var lines = File.ReadAllLines(batch);
        for (int i = 1; i <= 2; i++)
        {
            var cells = lines[i].Split(',');
            cells[1] = i == 1 ? "3" : "1099511627776"; // 2^40: no label reader takes it back
            lines[i] = string.Join(',', cells);
        }
        File.WriteAllLines(batch, lines);
        var (code, _, stderr) = Run([.. session, "--resume"]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"{batch}: line 3: the label '1099511627776' of row", stderr);
        Assert.Contains("-2147483648 to 2147483647", stderr);
        Assert.DoesNotContain("1099511627776", File.ReadAllText(Path.Combine(output, "labels.csv")));
    }

    [Fact]
    public void AJournalAnswerThatIsNotANumberExitsWithTwo()
    {
        string output = PathOf("journal-x");
        string[] session = ["active", "--demo", "digits", "--oracle", "file", "--rounds", "1", "--batch", "2", "--engine", "cpu", "--out", output];
        Assert.Equal(ExitCodes.Success, Run(session).Code);
        string journal = Path.Combine(output, ActiveCommand.JournalFile);
        int lines = File.ReadAllLines(journal).Length;
        File.AppendAllText(journal, "{\"round\":1,\"row\":0,\"label\":\"x\"}\n");
        var (code, _, stderr) = Run([.. session, "--resume"]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"{journal}: line {lines + 1}: an answer needs \"label\"", stderr);
    }

    [Fact]
    public void RunsOnDataFromFilesAndDrawsImageShapedRows()
    {
        // Two-class "images" of 2 x 3 pixels: bright on the left or on the right.
        var random = new Random(5);
        int n = 60;
        var x = new double[n * 6];
        var truth = new long[n];
        for (int i = 0; i < n; i++)
        {
            truth[i] = i % 2;
            for (int p = 0; p < 6; p++) x[i * 6 + p] = ((p % 3 == 0) == (i % 2 == 0) ? 10 : 0) + random.NextDouble();
        }
        NpyWriter.Write(PathOf("X.npy"), x, n, 6);
        File.WriteAllLines(PathOf("y.csv"), truth.Select((t, i) => i < 2 ? t.ToString(CultureInfo.InvariantCulture) : "-1"));
        File.WriteAllLines(PathOf("y_true.csv"), truth.Select(t => t.ToString(CultureInfo.InvariantCulture)));
        string output = PathOf("files");
        var (code, stdout, stderr) = Run("active", "--data", PathOf("X.npy"), "--labels", PathOf("y.csv"), "--truth", PathOf("y_true.csv"),
            "--image-shape", "2x3", "--gamma", "0.05", "--rounds", "3", "--batch", "4", "--engine", "cpu", "--out", output);
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains("Label Spreading model: 2 labeled & 58 unlabeled (60 total)", stdout);
        Assert.Contains("Round 3 of 3", stdout);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json")));
        Assert.Equal([2, 6, 10], report.RootElement.GetProperty("rounds").EnumerateArray().Select(r => r.GetProperty("n_labeled").GetInt32()));
        Assert.True(File.Exists(Path.Combine(output, ActiveFigures.PickedFile)));
        Assert.True(File.Exists(Path.Combine(output, ActiveFigures.LearningCurveFile)));
        Assert.False(File.Exists(Path.Combine(output, ActiveCommand.JournalFile))); // the simulation keeps no journal
    }

    [Fact]
    public void UsersDataDefaultsToGraphCoverageAndAResumedSessionKeepsItsJournalsStrategy()
    {
        var random = new Random(8);
        int n = 50;
        var x = new double[n * 3];
        var truth = new long[n];
        for (int i = 0; i < n; i++)
        {
            truth[i] = i % 2;
            for (int f = 0; f < 3; f++) x[i * 3 + f] = 4 * truth[i] + random.NextDouble();
        }
        NpyWriter.Write(PathOf("X.npy"), x, n, 3);
        File.WriteAllLines(PathOf("y.csv"), truth.Select((t, i) => i < 2 ? t.ToString(CultureInfo.InvariantCulture) : "-1"));
        string[] common = ["active", "--data", PathOf("X.npy"), "--labels", PathOf("y.csv"), "--oracle", "file", "--rounds", "2", "--batch", "3",
            "--kernel", "knn", "--engine", "cpu"];

        // Without --strategy: graph-coverage, journaled, and kept when resumed without --strategy.
        // With --strategy entropy the journal holds no strategy, as every journal written before graph-coverage:
        // resumed without --strategy, it goes on with entropy.
        foreach (var (given, expected) in new[] { ((string?)null, "graph-coverage"), ("entropy", "entropy") })
        {
            string output = PathOf($"default-{given}");
            string[] first = given is null ? [.. common, "--out", output] : [.. common, "--strategy", given, "--out", output];
            var (code, _, stderr) = Run(first);
            Assert.True(code == ExitCodes.Success, stderr);
            Assert.Equal(given is null, File.ReadAllText(Path.Combine(output, ActiveCommand.JournalFile)).Contains("\"strategy\":\"graph-coverage\"", StringComparison.Ordinal));
            Fill(Path.Combine(output, "batch-001.csv"), truth);
            (code, _, stderr) = Run([.. common, "--out", output, "--resume"]);
            Assert.True(code == ExitCodes.Success, stderr);
            using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json")));
            Assert.Equal(expected, report.RootElement.GetProperty("settings").GetProperty("strategy").GetString());
            Assert.Equal(2, report.RootElement.GetProperty("rounds").GetArrayLength());
        }
    }

    [Fact]
    public void TheKnnSearchIsChosenReportedAndPartOfTheJournal()
    {
        string approximate = PathOf("knn-approximate"), exact = PathOf("knn-exact");
        string[] common = ["active", "--demo", "digits", "--kernel", "knn", "--rounds", "2", "--batch", "3", "--engine", "cpu"];

        var (code, _, stderr) = Run([.. common, "--knn-search", "approximate", "--out", approximate]);
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains("knn graph by NN-descent (approximate): recall", stderr);
        using (var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(approximate, "report.json"))))
        {
            var settings = report.RootElement.GetProperty("settings");
            Assert.Equal("approximate", settings.GetProperty("knn_search").GetString());
            Assert.InRange(settings.GetProperty("knn_recall").GetDouble(), 0.9, 1.0); // 330 rows: NN-descent's lists are nearly whole
            Assert.Equal(330, settings.GetProperty("knn_recall_sample").GetInt32());
        }

        (code, _, stderr) = Run([.. common, "--out", exact]);
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.DoesNotContain("NN-descent", stderr);
        using (var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(exact, "report.json"))))
            Assert.Equal("exact", report.RootElement.GetProperty("settings").GetProperty("knn_search").GetString()); // auto at 330 rows

        // A session journaled with one search is not resumed with another.
        string team = PathOf("knn-team");
        (code, _, stderr) = Run([.. common, "--oracle", "file", "--knn-search", "exact", "--out", team]);
        Assert.True(code == ExitCodes.Success, stderr);
        (code, _, stderr) = Run([.. common, "--oracle", "file", "--knn-search", "approximate", "--out", team, "--resume"]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("knn_search: the journal has exact, this run approximate", stderr);
    }

    [Fact]
    public void TheStrategyIsReportedAndPartOfTheJournal()
    {
        string[] common = ["active", "--demo", "digits", "--rounds", "2", "--batch", "4", "--engine", "cpu"];
        foreach (var strategy in WorkflowNames.Strategy.Names)
        {
            string output = PathOf($"strategy-{strategy}");
            var (code, _, stderr) = Run([.. common, "--strategy", strategy, "--seed", "7", "--out", output]);
            Assert.True(code == ExitCodes.Success, stderr);
            using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json")));
            var settings = report.RootElement.GetProperty("settings");
            Assert.Equal(strategy, settings.GetProperty("strategy").GetString());
            Assert.Equal(7, settings.GetProperty("seed").GetInt32());
            var picked = report.RootElement.GetProperty("rounds").EnumerateArray()
                .SelectMany(r => r.GetProperty("picked").EnumerateArray().Select(p => p.GetInt32())).ToArray();
            Assert.Equal(8, picked.Distinct().Count());
        }

        // A session journaled with one strategy is not resumed with another.
        string team = PathOf("strategy-team");
        var (first, _, firstError) = Run([.. common, "--oracle", "file", "--strategy", "margin", "--out", team]);
        Assert.True(first == ExitCodes.Success, firstError);
        var (resumed, _, resumedError) = Run([.. common, "--oracle", "file", "--strategy", "coverage", "--out", team, "--resume"]);
        Assert.Equal(ExitCodes.BadInput, resumed);
        Assert.Contains("strategy: the journal has margin, this run coverage", resumedError);

        var (bad, _, badError) = Run([.. common, "--strategy", "uncertain", "--out", PathOf("strategy-bad")]);
        Assert.Equal(ExitCodes.BadInput, bad);
        Assert.Contains("Argument 'uncertain' not recognized", badError);
    }

    [Theory]
    [InlineData("no data", "The 'data' parameter must be given (--data X --labels y), or use --demo digits", "active", "--out", "OUT")]
    [InlineData("demo and data", "The 'data' parameter must be left out with --demo digits", "active", "--demo", "digits", "--data", "X.csv", "--out", "OUT")]
    [InlineData("no key", "The 'oracle' parameter must be 'terminal' or 'file' without an answer key", "active", "--data", "DATA", "--labels", "LABELS", "--oracle", "truth", "--out", "OUT")]
    [InlineData("shape", "The 'image-shape' parameter must be a shape of 6 pixels", "active", "--data", "DATA", "--labels", "LABELS", "--image-shape", "3x3", "--out", "OUT")]
    [InlineData("shape text", "The 'image-shape' parameter must be ROWSxCOLUMNS", "active", "--data", "DATA", "--labels", "LABELS", "--image-shape", "six", "--out", "OUT")]
    [InlineData("batch", "The 'batch' parameter must be an int in the range [1, inf)", "active", "--demo", "digits", "--batch", "0", "--out", "OUT")]
    [InlineData("classes", "The 'classes' parameter must be integers and ranges", "active", "--demo", "digits", "--oracle", "terminal", "--classes", "a-b", "--out", "OUT")]
    [InlineData("classes range", "The 'classes' parameter must be class labels from -2147483648 to 2147483647", "active", "--demo", "digits", "--oracle", "terminal", "--classes", "0,4294967296", "--out", "OUT")]
    [InlineData("warm spreading", "The 'warm_start' parameter must be false with LabelSpreading", "active", "--demo", "digits", "--warm-start", "--out", "OUT")]
    [InlineData("resume truth", "The 'resume' parameter must be used with --oracle terminal or file", "active", "--demo", "digits", "--resume", "--out", "OUT")]
    [InlineData("resume nothing", "no journal to resume from", "active", "--demo", "digits", "--oracle", "file", "--resume", "--out", "OUT")]
    [InlineData("gamma", "The 'gamma' parameter must be a float in the range (0, inf)", "active", "--demo", "digits", "--gamma", "-1", "--out", "OUT")]
    [InlineData("knn search", "Argument 'nearest' not recognized. Must be one of:", "active", "--demo", "digits", "--knn-search", "nearest", "--out", "OUT")]
    public void BadArgumentsExitWithTwoAndSayWhatIsAllowed(string why, string message, params string[] args)
    {
        NpyWriter.Write(PathOf("X.npy"), new double[12], 2, 6);
        File.WriteAllLines(PathOf("y.csv"), ["1", "-1"]);
        string[] resolved = [.. args.Select(a => a switch { "OUT" => PathOf("out-" + why.Replace(' ', '-')), "DATA" => PathOf("X.npy"), "LABELS" => PathOf("y.csv"), _ => a })];
        var (code, _, stderr) = Run(resolved);
        Assert.True(code == ExitCodes.BadInput, $"{why}: exit {code}, {stderr}");
        Assert.Contains(message, stderr);
    }
}
