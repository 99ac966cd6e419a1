using System.Globalization;
using System.Text.Json;
using GpuSpread.IO;
using GpuSpread.Runner;
using static GpuSpread.Tests.CliHarness;

namespace GpuSpread.Tests.Graphs;

/// <summary><c>gpuspread spread --graph</c> and the kNN options, in-process: outputs, exit codes, messages.</summary>
public sealed class GraphCliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gpuspread-graph-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    /// <summary>Two chains of 10 nodes (0-9 and 10-19), joined by nothing; 0 is class 4, 19 is class 9; node 20 is isolated.</summary>
    private (string Edges, string Labels) WriteChains()
    {
        var lines = new List<string> { "source,target,weight" };
        for (int i = 0; i < 9; i++) lines.Add($"{i},{i + 1},1");
        for (int i = 10; i < 19; i++) lines.Add($"{i + 1},{i},2"); // listed backwards: symmetrised anyway
        File.WriteAllLines(PathOf("edges.csv"), lines);
        var y = Enumerable.Repeat(-1, 21).ToArray();
        y[0] = 4;
        y[19] = 9;
        File.WriteAllLines(PathOf("y.csv"), y.Select(v => v.ToString(CultureInfo.InvariantCulture)));
        return (PathOf("edges.csv"), PathOf("y.csv"));
    }

    private string WriteFeatures()
    {
        var x = new double[21 * 2];
        for (int i = 0; i < 21; i++)
        {
            x[2 * i] = i < 10 ? i * 0.1 : 5 + i * 0.1;
            x[2 * i + 1] = 0.05 * (i % 3);
        }
        NpyWriter.Write(PathOf("X.npy"), x, 21, 2);
        return PathOf("X.npy");
    }

    [Theory]
    [InlineData("spreading")]
    [InlineData("propagation")]
    public void SpreadsOverAGraph(string model)
    {
        var (edges, labels) = WriteChains();
        string output = PathOf("out");
        var (code, _, stderr) = Run("spread", "--graph", edges, "--labels", labels, "--out", output, "--model", model, "--alpha", "0.9",
            "--max-iter", "2000", "--tol", "1e-9", "--engine", "cpu");
        Assert.True(code == ExitCodes.Success, stderr);
        var predictions = File.ReadAllLines(Path.Combine(output, "predictions.csv"));
        Assert.All(predictions.Take(10), p => Assert.Equal("4", p));
        Assert.All(predictions.Skip(10).Take(10), p => Assert.Equal("9", p));
        Assert.Equal("4", predictions[20]); // isolated: all zero, classes[0]
        var distributions = File.ReadAllLines(Path.Combine(output, "distributions.csv"));
        Assert.Equal("0,0", distributions[21]);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        var root = summary.RootElement;
        Assert.Equal("graph", root.GetProperty("input").GetString());
        Assert.Equal(21, root.GetProperty("n").GetInt32());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("d").ValueKind);
        Assert.Equal(36, root.GetProperty("graph_entries").GetInt32());
        Assert.Equal(1, root.GetProperty("graph_isolated_nodes").GetInt32());
        Assert.True(root.GetProperty("converged").GetBoolean());
        Assert.Empty(Directory.GetFiles(output, ".*"));
    }

    [Theory]
    [InlineData("operators", "rbf")]
    [InlineData("operators", "knn")]
    [InlineData("weights", "knn")]
    public void CombinesFeaturesAndAGraph(string combine, string kernel)
    {
        var (edges, labels) = WriteChains();
        string data = WriteFeatures();
        string output = PathOf("out");
        var (code, _, stderr) = Run("spread", "--data", data, "--graph", edges, "--labels", labels, "--out", output, "--kernel", kernel,
            "--gamma", "2", "--n-neighbors", "4", "--combine", combine, "--graph-weight", "0.5", "--truth", labels, "--engine", "auto");
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains("engine auto: using the CPU engine", stderr);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal("features+graph", summary.RootElement.GetProperty("input").GetString());
        Assert.Equal(combine, summary.RootElement.GetProperty("combine").GetString());
        Assert.Equal(0.5, summary.RootElement.GetProperty("graph_weight").GetDouble());
    }

    [Fact]
    public void KnnOptionsRunAndAreRecorded()
    {
        var (_, labels) = WriteChains();
        string data = WriteFeatures();
        string output = PathOf("out");
        var (code, _, stderr) = Run("spread", "--data", data, "--labels", labels, "--out", output, "--kernel", "knn", "--n-neighbors", "3",
            "--knn-graph", "union", "--knn-self-loops", "drop", "--knn-weights", "rbf", "--gamma", "1", "--engine", "cpu");
        Assert.True(code == ExitCodes.Success, stderr);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        var root = summary.RootElement;
        Assert.Equal("union", root.GetProperty("knn_graph").GetString());
        Assert.Equal("drop", root.GetProperty("knn_self_loops").GetString());
        Assert.Equal("rbf", root.GetProperty("knn_weights").GetString());
        var predictions = File.ReadAllLines(Path.Combine(output, "predictions.csv"));
        Assert.Equal("4", predictions[0]);
        Assert.Equal("9", predictions[19]);
    }

    /// <summary>One summary.json schema for every input: the same keys in the same order, null where they do not apply.</summary>
    [Fact]
    public void FeaturesGraphAndBothWriteOneSchema()
    {
        var (edges, labels) = WriteChains();
        string data = WriteFeatures();
        string[][] inputs = [["--data", data], ["--graph", edges], ["--data", data, "--graph", edges]];
        var schemas = new List<string[]>();
        foreach (var (input, index) in inputs.Select((input, index) => (input, index)))
        {
            string output = PathOf($"out{index}");
            var (code, _, stderr) = Run(["spread", .. input, "--labels", labels, "--truth", labels, "--out", output, "--engine", "cpu"]);
            Assert.True(code == ExitCodes.Success, stderr);
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
            schemas.Add(summary.RootElement.EnumerateObject().Select(p => p.Name).ToArray());
            var root = summary.RootElement;
            Assert.Equal(index == 1 ? JsonValueKind.Null : JsonValueKind.Number, root.GetProperty("gamma").ValueKind);
            Assert.Equal(index == 0 ? JsonValueKind.Null : JsonValueKind.Number, root.GetProperty("graph_entries").ValueKind);
            Assert.Equal(index == 2 ? JsonValueKind.String : JsonValueKind.Null, root.GetProperty("combine").ValueKind);
            Assert.Equal("fixed-point", root.GetProperty("solver").GetString());
            // The answer key knows only the two labeled rows: no unlabeled row is scored.
            Assert.Equal(0, root.GetProperty("n_scored").GetInt32());
            Assert.Equal(JsonValueKind.Null, root.GetProperty("accuracy_unlabeled").ValueKind);
        }
        Assert.Equal(schemas[0], schemas[1]);
        Assert.Equal(schemas[0], schemas[2]);
        Assert.Equal(
            ["input", "n", "d", "classes", "n_labeled", "model", "alpha", "class_priors", "kernel", "gamma", "n_neighbors", "knn_graph", "knn_self_loops",
             "knn_weights", "knn_search", "knn_recall_sample", "knn_recall", "graph", "graph_edge_lines", "graph_entries", "graph_isolated_nodes",
             "graph_symmetric", "combine", "graph_weight", "solver", "max_iter", "tol", "precision", "underflow_cut", "memory_limit", "n_iter",
             "converged", "accuracy_unlabeled", "n_scored", "output_format", "predict", "n_predict", "engine", "device", "seconds", "seconds_total"],
            schemas[0]);
    }

    /// <summary>Rows the answer key marks -1 are not scored, whatever the input; the rest are, right or wrong.</summary>
    [Theory]
    [InlineData("--data")]
    [InlineData("--graph")]
    [InlineData("both")]
    public void TruthRowsOfMinusOneAreNotScored(string input)
    {
        var (edges, labels) = WriteChains();
        string data = WriteFeatures();
        // Rows 1-9 are class 4 and 10-18 class 9, as every input predicts them; 5, 15 and 20 are unknown (-1), and
        // the prediction for 20 (an isolated node in the graph) would be wrong for any answer.
        var truth = Enumerable.Range(0, 21).Select(i => i is 5 or 15 or 20 ? -1 : i < 10 ? 4 : 9);
        File.WriteAllLines(PathOf("truth.csv"), truth.Select(t => t.ToString(CultureInfo.InvariantCulture)));
        string[] source = input switch { "--data" => ["--data", data], "--graph" => ["--graph", edges], _ => ["--data", data, "--graph", edges] };
        string output = PathOf("scored");
        var (code, _, stderr) = Run(["spread", .. source, "--labels", labels, "--truth", PathOf("truth.csv"), "--out", output, "--gamma", "2",
            "--alpha", "0.9", "--max-iter", "2000", "--tol", "1e-9", "--engine", "cpu"]);
        Assert.True(code == ExitCodes.Success, stderr);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal(16, summary.RootElement.GetProperty("n_scored").GetInt32()); // 19 unlabeled rows less the 3 unknown
        Assert.Equal(1.0, summary.RootElement.GetProperty("accuracy_unlabeled").GetDouble());
        Assert.Contains("accuracy on the 16 unlabeled rows with an answer: 100.00 % (16 right)", stderr);
    }

    /// <summary>The GPU kernels on the simulator run graph input, the combination and the kNN options from the command line, as the CPU engine does.</summary>
    [Theory]
    [InlineData("--graph")]
    [InlineData("--combine")]
    [InlineData("--knn-graph")]
    public void TheSimulatedGpuRunsWhatTheCpuEngineRuns(string option)
    {
        var (edges, labels) = WriteChains();
        string[] input = option switch
        {
            "--graph" => ["--graph", edges],
            "--combine" => ["--data", WriteFeatures(), "--graph", edges, "--kernel", "knn", "--n-neighbors", "4", "--combine", "weights"],
            _ => ["--data", WriteFeatures(), "--kernel", "knn", "--knn-graph", "union", "--knn-weights", "rbf", "--gamma", "1"],
        };
        var outputs = new Dictionary<string, string[]>();
        foreach (string engine in new[] { "cpu", "gpu-sim" })
        {
            string output = PathOf(engine);
            var (code, _, stderr) = Run(["spread", .. input, "--labels", labels, "--out", output, "--engine", engine, "--precision", "float64"]);
            Assert.True(code == ExitCodes.Success, stderr);
            outputs[engine] = File.ReadAllLines(Path.Combine(output, "predictions.csv"));
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
            Assert.Equal(engine, summary.RootElement.GetProperty("engine").GetString());
        }
        Assert.Equal(outputs["cpu"], outputs["gpu-sim"]);
    }

    [Theory]
    [InlineData("0,1\n1,21\n", "line 2", "out of range")]
    [InlineData("0,1,-2\n", "line 1", "negative")]
    [InlineData("0,1,NaN\n", "line 1", "not finite")]
    [InlineData("0,1.25\n", "line 1", "not an integer")]
    [InlineData("# nodes 30\n0,1\n", "line 1", "declares 30 nodes")]
    public void BadGraphsExitWithTwoAndSayWhere(string text, string line, string what)
    {
        var (_, labels) = WriteChains();
        File.WriteAllText(PathOf("bad.csv"), text);
        var (code, _, stderr) = Run("spread", "--graph", PathOf("bad.csv"), "--labels", labels, "--out", PathOf("out"), "--engine", "cpu");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("bad.csv: " + line, stderr);
        Assert.Contains(what, stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Theory]
    [InlineData("0,0\n5,5\n")]
    [InlineData("0,1,0\n5,6,0\n")]
    public void AGraphOfOnlySelfLoopsOrZeroWeightsExitsWithTwo(string text)
    {
        var (_, labels) = WriteChains();
        File.WriteAllText(PathOf("empty.csv"), text);
        var (code, _, stderr) = Run("spread", "--graph", PathOf("empty.csv"), "--labels", labels, "--out", PathOf("out"), "--engine", "cpu");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("empty.csv: the file has no edge between two different nodes", stderr);
        Assert.False(Directory.Exists(PathOf("out")));
    }

    [Fact]
    public void UnlabeledRowsWithoutAnEdgeAreAWarning()
    {
        var (edges, labels) = WriteChains(); // row 20 is unlabeled and has no edge
        var (code, _, stderr) = Run("spread", "--graph", edges, "--labels", labels, "--out", PathOf("out"), "--engine", "cpu");
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains($"gpuspread: warning: {edges}: 1 unlabeled row has no neighbour in the graph", stderr);

        // Besides features, the features reach it: no warning.
        (code, _, stderr) = Run("spread", "--data", WriteFeatures(), "--graph", edges, "--labels", labels, "--out", PathOf("out2"), "--engine", "cpu");
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.DoesNotContain("warning", stderr);
    }

    [Theory]
    [InlineData(new[] { "--solver", "cg" }, "solver")]
    [InlineData(new[] { "--combine", "weights", "--with-data" }, "combine")]
    [InlineData(new[] { "--graph-weight", "2", "--with-data" }, "graph_weight")]
    [InlineData(new[] { "--knn-graph", "both" }, "'both' not recognized")]
    public void BadGraphParametersExitWithTwo(string[] extra, string named)
    {
        var (edges, labels) = WriteChains();
        var args = new List<string> { "spread", "--graph", edges, "--labels", labels, "--out", PathOf("out"), "--engine", "cpu" };
        foreach (string option in extra)
            if (option == "--with-data") args.AddRange(["--data", WriteFeatures()]);
            else args.Add(option);
        var (code, _, stderr) = Run([.. args]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(named, stderr);
    }

    [Fact]
    public void NeitherDataNorGraphExitsWithTwo()
    {
        var (_, labels) = WriteChains();
        var (code, _, stderr) = Run("spread", "--labels", labels, "--out", PathOf("out"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("--data", stderr);
        Assert.Contains("--graph", stderr);
    }

    [Fact]
    public void FeaturesAndGraphOfDifferentSizesExitWithTwo()
    {
        var (edges, _) = WriteChains();
        string data = WriteFeatures();
        File.WriteAllLines(PathOf("y22.csv"), Enumerable.Repeat("-1", 21).Prepend("3"));
        var (code, _, stderr) = Run("spread", "--data", data, "--graph", edges, "--labels", PathOf("y22.csv"), "--out", PathOf("out"), "--engine", "cpu");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("22 labels for 21 feature rows", stderr);
    }
}
