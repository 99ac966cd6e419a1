using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GpuSpread.IO;
using GpuSpread.Runner;
using GpuSpread.Tests.Reference;
using static GpuSpread.Tests.CliHarness;

namespace GpuSpread.Tests.Cli;

/// <summary>
/// <c>spread --predict</c>: new rows by scikit-learn's inductive rule (checked against the dense float64 reference), in
/// CSV or .npy (read back by numpy and by the library's readers), and refused, with nothing written, where they cannot be
/// predicted.
/// </summary>
public sealed class PredictCliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gpuspread-predict-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    /// <summary>Seeded blobs: 53 training rows (X.npy, y.csv with labels 3, 7, 12) and 11 new rows (X_new.npy).</summary>
    private (double[,] X, long[] Labels, double[,] XNew) WriteBlobs(int seed = 4, int dims = 3)
    {
        const int n = 53, m = 11;
        var (all, truth) = TestData.Blobs(seed, n + m, dims, 3, sigma: 0.5);
        var x = TestData.Slice(all, 0, n);
        var xNew = TestData.Slice(all, n, m);
        long[] classes = [3, 7, 12];
        var labels = Array.ConvertAll(TestData.PartialLabels(seed, truth[..n], 3, 0.15), l => l < 0 ? -1L : classes[l]);
        NpyWriter.Write(PathOf("X.npy"), Flatten(x), n, dims);
        NpyWriter.Write(PathOf("X_new.npy"), Flatten(xNew), m, dims);
        File.WriteAllLines(PathOf("y.csv"), labels.Select(l => l.ToString(CultureInfo.InvariantCulture)));
        return (x, labels, xNew);
    }

    [Theory]
    [InlineData("spreading", "rbf")]
    [InlineData("propagation", "rbf")]
    [InlineData("spreading", "knn")]
    [InlineData("propagation", "knn")]
    public void NewRowsFollowScikitLearnsInductiveRule(string model, string kernel)
    {
        var (x, _, xNew) = WriteBlobs();
        string output = PathOf("out");
        var (code, _, stderr) = Run("spread", "--data", PathOf("X.npy"), "--labels", PathOf("y.csv"), "--predict", PathOf("X_new.npy"),
            "--out", output, "--model", model, "--kernel", kernel, "--gamma", "0.5", "--n-neighbors", "6", "--precision", "float64", "--engine", "cpu");
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains($"predicted 11 new rows of {PathOf("X_new.npy")}", stderr);

        var (classes, fitted) = ReadDistributionsCsv(Path.Combine(output, "distributions.csv"));
        var (newClasses, proba) = ReadDistributionsCsv(Path.Combine(output, "new_distributions.csv"));
        Assert.Equal([3L, 7, 12], classes);
        Assert.Equal(classes, newClasses);
        var options = (model == "spreading" ? DiffusionOptions.Spreading() : DiffusionOptions.Propagation()) with
        {
            Kernel = kernel == "knn" ? AffinityKernel.Knn : AffinityKernel.Rbf, Gamma = 0.5, NNeighbors = 6,
        };
        var expected = DenseReference.PredictProba(x, fitted, xNew, options);
        double difference = TestData.MaxDifference(new ClassProbabilities(classes, Flatten(proba)), expected);
        Assert.True(difference < 1e-12, $"new rows differ from the dense reference by {difference:E3}");

        var predictions = File.ReadAllLines(Path.Combine(output, "new_predictions.csv")).Select(long.Parse).ToArray();
        Assert.Equal(new ClassProbabilities(classes, Flatten(proba)).MostProbable(), predictions);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal(PathOf("X_new.npy"), summary.RootElement.GetProperty("predict").GetString());
        Assert.Equal(11, summary.RootElement.GetProperty("n_predict").GetInt32());
        Assert.Equal("csv", summary.RootElement.GetProperty("output_format").GetString());
    }

    [Fact]
    public void NpyOutputsHoldTheCsvOutputsExactlyAndNumPyReadsThem()
    {
        WriteBlobs();
        string[] common = ["spread", "--data", PathOf("X.npy"), "--labels", PathOf("y.csv"), "--predict", PathOf("X_new.npy"), "--gamma", "0.5", "--engine", "cpu"];
        var csv = Run([.. common, "--out", PathOf("csv")]);
        Assert.True(csv.Code == ExitCodes.Success, csv.Stderr);
        var npy = Run([.. common, "--out", PathOf("npy"), "--output-format", "npy"]);
        Assert.True(npy.Code == ExitCodes.Success, npy.Stderr);

        Assert.Equal(["classes.npy", "distributions.npy", "new_distributions.npy", "new_predictions.npy", "predictions.npy", "summary.json"],
            Directory.GetFileSystemEntries(PathOf("npy")).Select(Path.GetFileName).Where(name => !name!.StartsWith('.')).Order());
        var (classes, distributions) = ReadDistributionsCsv(PathOf("csv/distributions.csv"));
        var (_, newDistributions) = ReadDistributionsCsv(PathOf("csv/new_distributions.csv"));
        var predictions = File.ReadAllLines(PathOf("csv/predictions.csv")).Select(long.Parse).ToArray();
        var newPredictions = File.ReadAllLines(PathOf("csv/new_predictions.csv")).Select(long.Parse).ToArray();

        // The library's own readers.
        Assert.Equal(Flatten(distributions), FeatureReader.Read(PathOf("npy/distributions.npy")).Double);
        Assert.Equal(Flatten(newDistributions), FeatureReader.Read(PathOf("npy/new_distributions.npy")).Double);
        Assert.Equal(predictions, Array.ConvertAll(LabelReader.Read(PathOf("npy/predictions.npy")), l => (long)l));
        Assert.Equal(classes, Array.ConvertAll(LabelReader.Read(PathOf("npy/classes.npy")), l => (long)l));

        // numpy: format version 1.0, the dtype, the shape, C order, the values.
        var arrays = NumPyLoad(PathOf("npy"), "classes.npy", "predictions.npy", "distributions.npy", "new_predictions.npy", "new_distributions.npy");
        AssertArray(arrays, "classes.npy", "<i8", [3], classes.Select(c => (double)c));
        AssertArray(arrays, "predictions.npy", "<i8", [53], predictions.Select(c => (double)c));
        AssertArray(arrays, "distributions.npy", "<f8", [53, 3], Flatten(distributions));
        AssertArray(arrays, "new_predictions.npy", "<i8", [11], newPredictions.Select(c => (double)c));
        AssertArray(arrays, "new_distributions.npy", "<f8", [11, 3], Flatten(newDistributions));
    }

    [Fact]
    public void SelfTrainWritesNpyToo()
    {
        WriteBlobs();
        var (code, _, stderr) = Run("self-train", "--data", PathOf("X.npy"), "--labels", PathOf("y.csv"), "--gamma", "0.5", "--engine", "cpu",
            "--out", PathOf("out"), "--output-format", "npy");
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Equal((53, 3), (FeatureReader.Read(PathOf("out/distributions.npy")).Rows, FeatureReader.Read(PathOf("out/distributions.npy")).Cols));
        Assert.Equal(53, LabelReader.Read(PathOf("out/predictions.npy")).Length);
        Assert.True(File.Exists(PathOf("out/pseudo_labels.csv")));
        Assert.False(File.Exists(PathOf("out/predictions.csv")));
    }

    [Fact]
    public void NewRowsWithOtherColumnsAreRefusedBeforeTheFit()
    {
        WriteBlobs();
        NpyWriter.Write(PathOf("X_wide.npy"), new double[8], 2, 4);
        var (code, _, stderr) = Run("spread", "--data", PathOf("X.npy"), "--labels", PathOf("y.csv"), "--predict", PathOf("X_wide.npy"),
            "--out", PathOf("out"), "--engine", "cpu");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"gpuspread: error: {PathOf("X_wide.npy")}: the new rows have 4 columns, but the training features ({PathOf("X.npy")}) have 3", stderr);
        Assert.DoesNotContain("n_iter", stderr);
        Assert.False(Directory.Exists(PathOf("out")));
    }

    [Fact]
    public void AGraphAsInputHasNoInductivePrediction()
    {
        WriteBlobs();
        File.WriteAllLines(PathOf("edges.csv"), Enumerable.Range(0, 52).Select(i => $"{i},{i + 1}"));
        foreach (string[] inputs in new[] { new[] { "--graph", PathOf("edges.csv") }, ["--graph", PathOf("edges.csv"), "--data", PathOf("X.npy")] })
        {
            var (code, _, stderr) = Run(["spread", .. inputs, "--labels", PathOf("y.csv"), "--predict", PathOf("X_new.npy"), "--out", PathOf("out"), "--engine", "cpu"]);
            Assert.Equal(ExitCodes.BadInput, code);
            Assert.Contains($"gpuspread: error: --predict {PathOf("X_new.npy")}: a fit with a graph as input (--graph) has no inductive prediction", stderr);
            Assert.False(Directory.Exists(PathOf("out")));
        }
    }

    [Fact]
    public void ANewRowBeyondTheFitsPrecisionIsRefusedNamingTheFile()
    {
        WriteBlobs();
        var far = new double[6];
        far[4] = 1e39;
        NpyWriter.Write(PathOf("X_far.npy"), far, 2, 3);
        NpyWriter.Write(PathOf("X32.npy"), Array.ConvertAll(Flatten(ReadNpy(PathOf("X.npy"))), v => (float)v), 53, 3);
        var (code, _, stderr) = Run("spread", "--data", PathOf("X32.npy"), "--labels", PathOf("y.csv"), "--predict", PathOf("X_far.npy"),
            "--out", PathOf("out"), "--engine", "cpu");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"gpuspread: error: {PathOf("X_far.npy")}: new row 2, column 2 holds 1E+39", stderr);
        Assert.False(Directory.Exists(PathOf("out")) && Directory.EnumerateFiles(PathOf("out")).Any());
    }

    private static double[,] ReadNpy(string path)
    {
        var matrix = FeatureReader.Read(path);
        var result = new double[matrix.Rows, matrix.Cols];
        for (int i = 0; i < matrix.Rows; i++)
            for (int j = 0; j < matrix.Cols; j++) result[i, j] = matrix[i, j];
        return result;
    }

    private static (long[] Classes, double[,] Rows) ReadDistributionsCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        long[] classes = lines[0].Split(',').Select(long.Parse).ToArray();
        var rows = new double[lines.Length - 1, classes.Length];
        for (int i = 1; i < lines.Length; i++)
        {
            var cells = lines[i].Split(',');
            for (int c = 0; c < classes.Length; c++) rows[i - 1, c] = double.Parse(cells[c], CultureInfo.InvariantCulture);
        }
        return (classes, rows);
    }

    private static double[] Flatten(double[,] x)
    {
        var flat = new double[x.Length];
        Buffer.BlockCopy(x, 0, flat, 0, x.Length * sizeof(double));
        return flat;
    }

    private static void AssertArray(JsonElement arrays, string name, string dtype, int[] shape, IEnumerable<double> values)
    {
        var array = arrays.GetProperty(name);
        Assert.Equal([1, 0], array.GetProperty("version").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal(dtype, array.GetProperty("dtype").GetString());
        Assert.Equal(shape, array.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()));
        Assert.True(array.GetProperty("c_order").GetBoolean(), $"{name} is not in C order");
        Assert.Equal(values, array.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()));
    }

    /// <summary>
    /// Loads .npy files with numpy (Debian's /usr/bin/python3) and returns, per file, its format version, dtype, shape,
    /// whether it is in C order, and its values flattened (Python's repr of a float round-trips). Skips the test where
    /// numpy is missing; CI installs it (.ci/run).
    /// </summary>
    private static JsonElement NumPyLoad(string directory, params string[] names)
    {
        const string python = "/usr/bin/python3";
        const string script = """
            import json, sys, numpy as np
            out = {}
            for path in sys.argv[2:]:
                with open(path, 'rb') as f:
                    version = np.lib.format.read_magic(f)
                    f.seek(0)
                    a = np.load(f, allow_pickle=False)
                    assert f.read() == b'', 'bytes after the array'
                out[path.rsplit('/', 1)[-1]] = {'version': list(version), 'dtype': a.dtype.str, 'shape': list(a.shape),
                    'c_order': bool(a.flags['C_CONTIGUOUS']), 'values': [float(v) for v in a.ravel()]}
            json.dump(out, open(sys.argv[1], 'w'))
            """;
        if (!File.Exists(python) || RunProcess(python, ["-c", "import numpy"]).Code != 0)
            Assert.Skip($"numpy is not installed for {python} (Debian: apt-get install python3-numpy)");
        string json = Path.Combine(directory, "..", "numpy.json");
        var (code, error) = RunProcess(python, ["-c", script, json, .. names.Select(name => Path.Combine(directory, name))]);
        Assert.True(code == 0, error);
        return JsonDocument.Parse(File.ReadAllText(json)).RootElement;
    }

    private static (int Code, string Stderr) RunProcess(string program, string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        string stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stderr);
    }
}
