using System.Buffers.Binary;
using System.Text.Json;
using GpuSpread.Active;
using GpuSpread.Runner;

namespace GpuSpread.Tests.Active;

/// <summary>
/// The digits demo against scikit-learn 1.2.1 running the same example (most-uncertain picking): the same rows
/// picked in the same order, the same accuracies to the last bit, the same printed classification reports and
/// confusion matrices.
/// </summary>
public sealed class DigitsDemoTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gpuspread-active-demo-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string, Precision> EnginesAndPrecisions()
    {
        var data = new TheoryData<string, Precision>();
        // The loop does not depend on the engine; the GPU kernels on ILGPU's CPU simulator take minutes for these five
        // rounds and are checked against scikit-learn by the engine parity suite (the digits fixtures included).
        foreach (string engine in TestData.EngineNames.Where(e => e != "gpu-sim"))
        {
            data.Add(engine, Precision.Float64);
            data.Add(engine, Precision.Float32);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EnginesAndPrecisions))]
    public void MatchesScikitLearnRoundByRound(string engineName, Precision precision)
    {
        var expected = ActiveFixtures.DigitsRounds();
        var (features, labels, truth, _) = DigitsDemo.Load();
        var options = DiffusionOptions.Spreading() with { Gamma = DigitsDemo.Gamma, MaxIter = DigitsDemo.MaxIter, Precision = precision };
        using var engine = TestData.CreateEngine(engineName);
        using var learner = new ActiveLearner(engine, features, labels, options, new ActiveLearningOptions { Rounds = 5, Batch = 5 }, truth);
        var result = learner.Run(new AnswerKeyOracle(truth));

        Assert.Equal(ActiveStop.RoundsDone, result.Stop);
        Assert.Equal(expected.Count, result.Rounds.Count);
        double tolerance = precision == Precision.Float64 ? 1e-9 : 1e-5;
        foreach (var (want, got) in expected.Zip(result.Rounds))
        {
            Assert.Equal(want.Round, got.Round);
            Assert.Equal(want.NLabeled, got.LabeledCount);
            Assert.Equal(want.NUnlabeled, got.UnlabeledCount);
            Assert.Equal(want.Classes, got.Classes);
            Assert.Equal(want.NIter, got.NIter);
            Assert.Equal(want.Accuracy, got.Accuracy); // exactly: the same rows are right
            Assert.Equal(want.Picked, got.Picked.Select(p => p.Row));
            Assert.Equal(want.PickedPredicted, got.Picked.Select(p => p.Predicted));
            for (int i = 0; i < want.Picked.Length; i++)
                Assert.Equal(want.PickedEntropy[i]!.Value, got.Picked[i].Entropy, tolerance);
            Assert.Equal(want.Report, got.Report!.Format());
            Assert.Equal(want.ConfusionMatrix, got.Report.FormatConfusionMatrix());
            Assert.Equal(want.Picked.Select(r => (long?)truth[r]), got.Answers.Select(a => a.Label));
        }
        Assert.Equal(35, result.Final.LabeledCount);
    }

    [Fact]
    public void TheCommandWritesTheReportTheFiguresAndPrintsScikitLearnsReports()
    {
        var expected = ActiveFixtures.DigitsRounds();
        string output = Path.Combine(_directory, "demo");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = GpuSpread.Runner.Cli.Run(["active", "--demo", "digits", "--out", output, "--engine", "cpu"], stdout, stderr);
        Assert.True(code == ExitCodes.Success, stderr.ToString());

        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json")));
        var rounds = report.RootElement.GetProperty("rounds").EnumerateArray().ToList();
        Assert.Equal(expected.Count, rounds.Count);
        foreach (var (want, got) in expected.Zip(rounds))
        {
            Assert.Equal(want.Round, got.GetProperty("round").GetInt32());
            Assert.Equal(want.NLabeled, got.GetProperty("n_labeled").GetInt32());
            Assert.Equal(want.Accuracy, got.GetProperty("accuracy").GetDouble());
            Assert.Equal(want.Picked, got.GetProperty("picked").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Equal(want.PickedTrue, got.GetProperty("picked_rows").EnumerateArray().Select(e => e.GetProperty("true").GetInt64()));
        }
        Assert.Equal("rounds_done", report.RootElement.GetProperty("stop").GetString());
        Assert.Equal(35, report.RootElement.GetProperty("final").GetProperty("n_labeled").GetInt32());

        string text = stdout.ToString();
        foreach (var round in expected)
        {
            Assert.Contains(round.Report, text);
            Assert.Contains(round.ConfusionMatrix, text);
        }
        Assert.Equal(text, File.ReadAllText(Path.Combine(output, "report.txt")));

        var labels = File.ReadAllLines(Path.Combine(output, "labels.csv"));
        Assert.Equal(330, labels.Length);
        Assert.Equal(35, labels.Count(l => l != "-1"));
        Assert.Equal(330, File.ReadAllLines(Path.Combine(output, "predictions.csv")).Length);
        Assert.Equal(ActiveFixtures.DigitsSubset(),
            File.ReadAllLines(Path.Combine(output, "demo_subset.csv")).Skip(1).Select(l => int.Parse(l.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)));

        foreach (string figure in (string[])[ActiveFigures.PickedFile, ActiveFigures.LearningCurveFile])
        {
            var (width, height) = PngSize(Path.Combine(output, figure));
            Assert.InRange(width, 400, 4000);
            Assert.InRange(height, 300, 4000);
        }
        Assert.Empty(Directory.GetFiles(output, ".*")); // no temporary file left behind
    }

    /// <summary>The size from a PNG's IHDR chunk, after checking its signature.</summary>
    internal static (int Width, int Height) PngSize(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }), $"{path} is not a PNG");
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }
}
