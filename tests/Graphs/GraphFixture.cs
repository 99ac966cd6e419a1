using System.Text.Json;
using GpuSpread.Graphs;

namespace GpuSpread.Tests.Graphs;

/// <summary>One scikit-learn reference case for graph input or the kNN options (tests/Graphs/make_graph_fixtures.py).</summary>
public sealed class GraphFixture
{
    public required string Name { get; init; }
    public required DiffusionOptions Options { get; init; }
    public required int N { get; init; }
    public required long[] Y { get; init; }
    public required long[] Classes { get; init; }
    public required double[,] LabelDistributions { get; init; }
    public required long[] Transduction { get; init; }
    public required int NIter { get; init; }

    /// <summary>Graph cases: the edge list (source, target, weight) and whether to symmetrise it.</summary>
    public (int[] Sources, int[] Targets, double[] Weights)? Edges { get; init; }
    public bool Symmetrise { get; init; }

    /// <summary>kNN cases: the points, scikit-learn's W, new rows and their predict_proba.</summary>
    public double[,]? X { get; init; }
    public double[,]? W { get; init; }
    public double[,]? XNew { get; init; }
    public double[,]? PredictProba { get; init; }

    public static string Directory => RepositoryPaths.Require("tests", "Graphs", "fixtures");

    public static IEnumerable<string> Names(string prefix) =>
        System.IO.Directory.EnumerateFiles(Directory, prefix + "*.json").Select(Path.GetFileNameWithoutExtension).Order()!;

    public SparseGraph Graph()
    {
        var (sources, targets, weights) = Edges!.Value;
        return SparseGraph.FromEdges(N, sources, targets, weights, Symmetrise);
    }

    public static GraphFixture Load(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, name + ".json")));
        var root = document.RootElement;
        var parameters = root.GetProperty("params");
        bool spreading = root.GetProperty("model").GetString() == "spreading";
        var options = (spreading ? DiffusionOptions.Spreading() : DiffusionOptions.Propagation()) with
        {
            MaxIter = parameters.GetProperty("max_iter").GetInt32(),
            Tol = parameters.GetProperty("tol").GetDouble(),
            Precision = Precision.Float64,
        };
        if (spreading) options = options with { Alpha = parameters.GetProperty("alpha").GetDouble() };
        (int[], int[], double[])? edges = null;
        if (root.TryGetProperty("edges", out var edgeArray))
        {
            var list = edgeArray.EnumerateArray().Select(e => e.EnumerateArray().ToArray()).ToArray();
            edges = (list.Select(e => e[0].GetInt32()).ToArray(), list.Select(e => e[1].GetInt32()).ToArray(), list.Select(e => e[2].GetDouble()).ToArray());
        }
        if (root.TryGetProperty("knn_graph", out var knnGraph))
        {
            options = options with
            {
                Kernel = AffinityKernel.Knn,
                NNeighbors = root.GetProperty("n_neighbors").GetInt32(),
                Gamma = root.GetProperty("gamma").GetDouble(),
                KnnGraph = Enum.Parse<KnnGraphKind>(knnGraph.GetString()!, ignoreCase: true),
                KnnSelfLoops = Enum.Parse<KnnSelfLoops>(root.GetProperty("knn_self_loops").GetString()!, ignoreCase: true),
                KnnWeights = Enum.Parse<KnnWeights>(root.GetProperty("knn_weights").GetString()!, ignoreCase: true),
            };
        }
        return new GraphFixture
        {
            Name = name,
            Options = options,
            N = root.GetProperty("n").GetInt32(),
            Y = Longs(root.GetProperty("y")),
            Classes = Longs(root.GetProperty("classes")),
            LabelDistributions = Matrix(root.GetProperty("label_distributions")),
            Transduction = Longs(root.GetProperty("transduction")),
            NIter = root.GetProperty("n_iter").GetInt32(),
            Edges = edges,
            Symmetrise = root.TryGetProperty("symmetrise", out var symmetrise) && symmetrise.GetBoolean(),
            X = root.TryGetProperty("X", out var x) ? Matrix(x) : null,
            W = root.TryGetProperty("W", out var w) ? Matrix(w) : null,
            XNew = root.TryGetProperty("X_new", out var xNew) ? Matrix(xNew) : null,
            PredictProba = root.TryGetProperty("predict_proba", out var proba) ? Matrix(proba) : null,
        };
    }

    private static long[] Longs(JsonElement array) => array.EnumerateArray().Select(v => v.GetInt64()).ToArray();

    public static double[,] Matrix(JsonElement rows)
    {
        var list = rows.EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        int columns = list.Length == 0 ? 0 : list[0].Length;
        var result = new double[list.Length, columns];
        for (int i = 0; i < list.Length; i++)
            for (int j = 0; j < columns; j++) result[i, j] = list[i][j];
        return result;
    }
}
