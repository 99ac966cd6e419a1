using System.Text.Json;

namespace GpuSpread.Runner;

/// <summary>
/// The one schema of summary.json for a fit (<c>spread</c>, and the fit fields of <c>self-train</c>), whatever the
/// input: every key is always written, null where it does not apply (docs/cli.md lists them). Keys: input, n, d,
/// classes, n_labeled, model, alpha, kernel, gamma, n_neighbors, knn_graph, knn_self_loops, knn_weights, knn_search,
/// knn_recall_sample, knn_recall, graph, graph_edge_lines, graph_entries, graph_isolated_nodes, graph_symmetric,
/// combine, graph_weight, solver, max_iter, tol, precision, underflow_cut, memory_limit, n_iter, converged,
/// accuracy_unlabeled, n_scored, engine, device, seconds, seconds_total.
/// </summary>
public static class FitSummary
{
    /// <summary>The fields that describe the inputs, the options and the fit.</summary>
    public static void WriteFit(Utf8JsonWriter json, InputFiles files, DiffusionOptions options, long[] classes, DiffusionResult result,
        KnnSearchReport? knnSearch, AccuracyScore? score)
    {
        var input = files.Input;
        bool features = input.Features is not null, knn = features && options.Kernel == AffinityKernel.Knn;
        bool rbfWeights = features && (options.Kernel == AffinityKernel.Rbf || options.KnnWeights == KnnWeights.Rbf);
        bool approximate = knnSearch is { Method: KnnSearchMethod.Approximate };
        bool both = input.Kind == GraphInputKind.FeaturesAndGraph;
        var graph = input.Graph;

        json.WriteString("input", OptionNames.Input[input.Kind]);
        json.WriteNumber("n", files.Rows);
        Number(json, "d", features ? input.Features!.Cols : null);
        json.WriteStartArray("classes");
        foreach (long c in classes) json.WriteNumberValue(c);
        json.WriteEndArray();
        json.WriteNumber("n_labeled", files.Labels.Count(l => l != LabelEncoding.Unlabeled));
        json.WriteString("model", OptionNames.Model[options.Model]);
        Number(json, "alpha", options.Model == DiffusionModel.Spreading ? options.Alpha : null);
        Text(json, "class_priors", options.ClassPriors?.ToString());
        Text(json, "kernel", features ? OptionNames.Kernel[options.Kernel] : null);
        Number(json, "gamma", rbfWeights ? options.Gamma : null);
        Number(json, "n_neighbors", knn ? options.NNeighbors : null);
        Text(json, "knn_graph", knn ? OptionNames.KnnGraph[options.KnnGraph] : null);
        Text(json, "knn_self_loops", knn ? OptionNames.KnnSelfLoops[options.KnnSelfLoops] : null);
        Text(json, "knn_weights", knn ? OptionNames.KnnWeights[options.KnnWeights] : null);
        Text(json, "knn_search", knn && knnSearch is not null ? OptionNames.KnnSearch[knnSearch.Method] : null);
        Number(json, "knn_recall_sample", approximate ? knnSearch!.RecallSample : null);
        Number(json, "knn_recall", approximate ? Math.Round(knnSearch!.Recall, 6) : null);
        Text(json, "graph", files.GraphPath);
        Number(json, "graph_edge_lines", files.GraphStats?.Lines);
        Number(json, "graph_entries", graph?.Entries);
        Number(json, "graph_isolated_nodes", graph?.IsolatedNodes());
        if (graph is null) json.WriteNull("graph_symmetric");
        else json.WriteBoolean("graph_symmetric", graph.IsSymmetric());
        Text(json, "combine", both ? OptionNames.Combine[input.Combination.Mode] : null);
        Number(json, "graph_weight", both ? input.Combination.GraphWeight : null);
        json.WriteString("solver", OptionNames.Solver[options.Solver]);
        json.WriteNumber("max_iter", options.MaxIter);
        json.WriteNumber("tol", options.Tol);
        Text(json, "precision", features ? OptionNames.Precision[options.Precision] : null);
        json.WriteBoolean("underflow_cut", options.Float64UnderflowCut);
        Number(json, "memory_limit", options.MemoryLimitBytes);
        json.WriteNumber("n_iter", result.NIter);
        json.WriteBoolean("converged", result.Converged);
        Number(json, "accuracy_unlabeled", score?.Accuracy);
        Number(json, "n_scored", score?.Scored);
    }

    /// <summary>The fields that describe the result files: their format, and the new rows of <c>--predict</c> (null without).</summary>
    public static void WriteOutputs(Utf8JsonWriter json, OutputFormat format, string? predictPath, int? predictRows)
    {
        json.WriteString("output_format", ResultFiles.Formats[format]);
        Text(json, "predict", predictPath);
        Number(json, "n_predict", predictRows);
    }

    /// <summary>The fields that describe the run: the engine and the times.</summary>
    public static void WriteRun(Utf8JsonWriter json, EngineDescription engine, double seconds, double totalSeconds)
    {
        json.WriteString("engine", engine.Name);
        json.WriteString("device", engine.Device);
        json.WriteNumber("seconds", Math.Round(seconds, 4));
        json.WriteNumber("seconds_total", Math.Round(totalSeconds, 4));
    }

    /// <summary>On stderr, how an approximate knn graph did against the exact search (nothing for an exact one).</summary>
    public static void ReportKnnSearch(TextWriter stderr, KnnSearchReport? report)
    {
        if (report is { Method: KnnSearchMethod.Approximate })
            stderr.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"gpuspread: knn graph by NN-descent (approximate): recall {report.Recall:F4} against the exact search on {report.RecallSample} sampled rows"));
    }

    /// <summary>On stderr, the accuracy on the rows the answer key scores (nothing without one).</summary>
    public static void ReportAccuracy(TextWriter stderr, AccuracyScore? score)
    {
        if (score is not { } s) return;
        stderr.WriteLine(s.Accuracy is { } accuracy
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"gpuspread: accuracy on the {s.Scored} unlabeled rows with an answer: {accuracy:P2} ({s.Correct} right)")
            : "gpuspread: accuracy: no unlabeled row has an answer in --truth");
    }

    private static void Number(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v) json.WriteNumber(name, v);
        else json.WriteNull(name);
    }

    private static void Number(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } v) json.WriteNumber(name, v);
        else json.WriteNull(name);
    }

    private static void Text(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteString(name, value);
    }
}
