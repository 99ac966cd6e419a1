using System.Text.Json;

namespace GpuSpread.Tests.Fixtures;

/// <summary>One scikit-learn reference case written by tests/fixtures/make_fixtures.py.</summary>
public sealed class SklearnFixture
{
    public required string Name { get; init; }
    public required string Model { get; init; }
    public required DiffusionOptions Options { get; init; }
    public required double[,] X { get; init; }
    public required long[] Y { get; init; }
    public required long[] Classes { get; init; }
    public required double[,] LabelDistributions { get; init; }
    public required long[] Transduction { get; init; }
    public required int NIter { get; init; }
    public required bool Converged { get; init; }
    public required double[,] XNew { get; init; }

    /// <summary>scikit-learn's predict_proba(X_new); a null row is NaN there (every affinity underflowed).</summary>
    public required double[]?[] PredictProba { get; init; }

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "fixtures");

    public static IEnumerable<string> Names() =>
        System.IO.Directory.EnumerateFiles(Directory, "*.json").Select(Path.GetFileNameWithoutExtension).Order()!;

    public static SklearnFixture Load(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, name + ".json")));
        var root = document.RootElement;
        var parameters = root.GetProperty("params");
        string model = root.GetProperty("model").GetString()!;
        var options = (model == "spreading" ? DiffusionOptions.Spreading() : DiffusionOptions.Propagation()) with
        {
            Kernel = parameters.GetProperty("kernel").GetString() == "knn" ? AffinityKernel.Knn : AffinityKernel.Rbf,
            Gamma = parameters.GetProperty("gamma").GetDouble(),
            NNeighbors = parameters.GetProperty("n_neighbors").GetInt32(),
            MaxIter = parameters.GetProperty("max_iter").GetInt32(),
            Tol = parameters.GetProperty("tol").GetDouble(),
        };
        if (model == "spreading") options = options with { Alpha = parameters.GetProperty("alpha").GetDouble() };
        return new SklearnFixture
        {
            Name = name,
            Model = model,
            Options = options,
            X = Matrix(root.GetProperty("X")),
            Y = Longs(root.GetProperty("y")),
            Classes = Longs(root.GetProperty("classes")),
            LabelDistributions = Matrix(root.GetProperty("label_distributions")),
            Transduction = Longs(root.GetProperty("transduction")),
            NIter = root.GetProperty("n_iter").GetInt32(),
            Converged = root.GetProperty("converged").GetBoolean(),
            XNew = Matrix(root.GetProperty("X_new")),
            PredictProba = root.GetProperty("predict_proba").EnumerateArray()
                .Select(row => row.ValueKind == JsonValueKind.Null ? null : row.EnumerateArray().Select(v => v.GetDouble()).ToArray())
                .ToArray(),
        };
    }

    private static long[] Longs(JsonElement array) => array.EnumerateArray().Select(v => v.GetInt64()).ToArray();

    private static double[,] Matrix(JsonElement rows)
    {
        var list = rows.EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        int columns = list.Length == 0 ? 0 : list[0].Length;
        var result = new double[list.Length, columns];
        for (int i = 0; i < list.Length; i++)
            for (int j = 0; j < columns; j++) result[i, j] = list[i][j];
        return result;
    }
}
