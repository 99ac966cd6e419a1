using System.Globalization;
using System.Text.Json;
using GpuSpread.Runner;
using GpuSpread.Tests.Graphs;

namespace GpuSpread.Tests.SelfTraining;

/// <summary><c>gpuspread self-train</c> in-process: the outputs keep pseudo-labels apart, exit codes, messages.</summary>
public sealed class SelfTrainCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gpuspread-self-train-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    private static (int Code, string Stderr) Run(params string[] args)
    {
        var stderr = new StringWriter();
        int code = GpuSpread.Runner.Cli.Run(args, new StringWriter(), stderr);
        return (code, stderr.ToString());
    }

    private (string Edges, string Labels, string Truth) WriteChains()
    {
        var lines = new List<string> { "source,target" };
        for (int i = 0; i < 9; i++) lines.Add($"{i},{i + 1}");
        for (int i = 10; i < 19; i++) lines.Add($"{i},{i + 1}");
        File.WriteAllLines(PathOf("edges.csv"), lines);
        var y = Enumerable.Repeat(-1, 20).ToArray();
        y[0] = 5;
        y[19] = 7;
        File.WriteAllLines(PathOf("y.csv"), y.Select(v => v.ToString(CultureInfo.InvariantCulture)));
        File.WriteAllLines(PathOf("truth.csv"), Enumerable.Range(0, 20).Select(i => i < 10 ? "5" : "7"));
        return (PathOf("edges.csv"), PathOf("y.csv"), PathOf("truth.csv"));
    }

    [Theory]
    [InlineData("fixed")]
    [InlineData("flexmatch")]
    public void WritesPseudoLabelsApartFromTheTrueOnes(string rule)
    {
        var (edges, labels, truth) = WriteChains();
        string output = PathOf("out");
        var (code, stderr) = Run("self-train", "--graph", edges, "--labels", labels, "--truth", truth, "--out", output, "--rule", rule,
            "--threshold", "0.9", "--alpha", "0.9", "--max-iter", "1000", "--tol", "1e-8", "--engine", "cpu");
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains("round 1: adopted", stderr);
        Assert.Contains("before self-training", stderr);

        var pseudo = File.ReadAllLines(Path.Combine(output, "pseudo_labels.csv"));
        Assert.Equal("row,label,round,confidence", pseudo[0]);
        var rows = pseudo.Skip(1).Select(line => line.Split(',')).ToArray();
        Assert.NotEmpty(rows);
        Assert.DoesNotContain(rows, r => r[0] == "0" || r[0] == "19"); // the true labels are not repeated
        Assert.All(rows, r => Assert.Equal(int.Parse(r[0], CultureInfo.InvariantCulture) < 10 ? "5" : "7", r[1]));
        Assert.All(rows, r => Assert.True(int.Parse(r[2], CultureInfo.InvariantCulture) >= 1));
        Assert.Equal(20, File.ReadAllLines(Path.Combine(output, "predictions.csv")).Length);

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        var root = summary.RootElement;
        Assert.Equal(rule, root.GetProperty("rule").GetString());
        Assert.Equal(2, root.GetProperty("n_true_labeled").GetInt32());
        Assert.Equal(rows.Length, root.GetProperty("n_pseudo_labeled").GetInt32());
        var rounds = root.GetProperty("rounds").EnumerateArray().ToArray();
        Assert.NotEmpty(rounds);
        Assert.Equal(rows.Length, rounds.Sum(r => r.GetProperty("adopted").GetInt32()));
        Assert.Equal(1.0, rounds[0].GetProperty("adopted_accuracy").GetDouble());
        Assert.True(rounds[0].GetProperty("thresholds").TryGetProperty("5", out _)); // keyed by class label
        Assert.Equal(1.0, root.GetProperty("accuracy_unlabeled").GetDouble());
    }

    [Fact]
    public void SelfTrainsOnFeaturesAndOnAGraphWithAnyEngine()
    {
        string data = RepositoryPaths.Require("examples", "digits", "X.csv.gz");
        string labels = RepositoryPaths.Require("examples", "digits", "y.csv");
        string truth = RepositoryPaths.Require("examples", "digits", "y_true.csv");
        var (code, stderr) = Run("self-train", "--data", data, "--labels", labels, "--truth", truth, "--gamma", "0.25", "--out", PathOf("digits"),
            "--rule", "flexmatch", "--max-rounds", "2", "--engine", "cpu");
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.True(File.Exists(Path.Combine(PathOf("digits"), "pseudo_labels.csv")));

        var (edges, chainLabels, _) = WriteChains();
        var cpu = Run("self-train", "--graph", edges, "--labels", chainLabels, "--out", PathOf("cpu"), "--engine", "cpu");
        var simulated = Run("self-train", "--graph", edges, "--labels", chainLabels, "--out", PathOf("gpu-sim"), "--engine", "gpu-sim");
        Assert.True(simulated.Code == ExitCodes.Success, simulated.Stderr);
        Assert.Equal(File.ReadAllText(Path.Combine(PathOf("cpu"), "pseudo_labels.csv")), File.ReadAllText(Path.Combine(PathOf("gpu-sim"), "pseudo_labels.csv")));
    }

    [Theory]
    [InlineData(new[] { "--threshold", "0" }, "threshold")]
    [InlineData(new[] { "--max-rounds", "0" }, "max_rounds")]
    [InlineData(new[] { "--rule", "adaptive" }, "'adaptive' not recognized")]
    public void BadParametersExitWithTwo(string[] extra, string named)
    {
        var (edges, labels, _) = WriteChains();
        var (code, stderr) = Run(["self-train", "--graph", edges, "--labels", labels, "--out", PathOf("out"), "--engine", "cpu", .. extra]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(named, stderr);
    }
}
