using System.Diagnostics;
using System.Text.Json;
using GpuSpread.Graphs;
using GpuSpread.IO;

namespace GpuSpread.Runner;

/// <summary>What <c>spread</c> and <c>self-train</c> read: features and/or a graph, labels and an optional answer key.</summary>
public sealed record GraphInputs(FeatureMatrix? Features, SparseGraph? Graph, EdgeListStats? GraphStats, int[] Labels, int[]? Truth)
{
    public int Rows => Labels.Length;

    public string Input => Features is null ? "graph" : Graph is null ? "features" : "features+graph";

    /// <summary>Reads the inputs; the labels give the node count that the graph's indices must respect.</summary>
    /// <exception cref="InputDataException">a file that cannot be read, or sizes that disagree.</exception>
    public static GraphInputs Read(string? dataPath, string? graphPath, bool graphDirected, string labelsPath, string? truthPath)
    {
        var labels = LabelReader.Read(labelsPath);
        FeatureMatrix? features = null;
        if (dataPath is not null)
        {
            features = FeatureReader.Read(dataPath);
            if (labels.Length != features.Rows)
                throw new InputDataException($"{labelsPath}: {labels.Length} labels for {features.Rows} feature rows in {dataPath}; there must be one label per row");
        }
        SparseGraph? graph = null;
        EdgeListStats? stats = null;
        if (graphPath is not null)
            (graph, stats) = EdgeListReader.Read(graphPath, labels.Length, symmetrise: !graphDirected, nodesSource: $"the labels ({labelsPath})");
        int[]? truth = null;
        if (truthPath is not null)
        {
            truth = LabelReader.Read(truthPath);
            if (truth.Length != labels.Length)
                throw new InputDataException($"{truthPath}: {truth.Length} answers for {labels.Length} labels in {labelsPath}; there must be one answer per row");
        }
        return new GraphInputs(features, graph, stats, labels, truth);
    }
}

/// <summary>
/// <c>gpuspread spread</c> when a graph is given (<c>--graph</c>) or a kNN graph option differs from scikit-learn's:
/// the same outputs as the features-only path (predictions.csv, distributions.csv, summary.json), through
/// <see cref="GraphDiffusion"/>. Graph input runs on the CPU engine only for now.
/// </summary>
public static class GraphSpread
{
    /// <summary>The engine for graph input or the kNN options: the CPU engine (auto picks it and says why; gpu and gpu-sim fail).</summary>
    /// <exception cref="EngineUnavailableException">gpu or gpu-sim asked for.</exception>
    public static IDiffusionEngine CreateEngine(string engineName, string why, TextWriter stderr)
    {
        switch (engineName)
        {
            case "gpu":
            case "gpu-sim":
                throw new EngineUnavailableException($"--engine {engineName}: {why} runs on the CPU engine only for now (the GPU engine does not support it yet); use --engine cpu or auto.");
            case "auto":
                var engine = EngineSelection.Create("cpu", stderr);
                stderr.WriteLine($"gpuspread: engine auto: using the CPU engine ({engine.Description.Device}): {why} runs on the CPU engine only for now.");
                return engine;
            default:
                return EngineSelection.Create(engineName, stderr);
        }
    }

    /// <summary>What in the inputs or options runs on the CPU engine only, in words: graph input, a non-default kNN graph, the
    /// approximate kNN search; null when any engine will do.</summary>
    public static string? CpuOnly(bool graph, DiffusionOptions options)
    {
        if (graph) return "a graph given as input (--graph)";
        if (!options.HasScikitLearnKnnGraph) return "a kNN graph other than scikit-learn's (--knn-graph, --knn-self-loops, --knn-weights)";
        if (options.Kernel == AffinityKernel.Knn && options.KnnSearch == KnnSearchMethod.Approximate) return "the approximate kNN search (--knn-search approximate)";
        return null;
    }

    /// <summary>The engine the inputs and options allow: <paramref name="engineName"/>, or the CPU engine for what only it runs.</summary>
    public static IDiffusionEngine CreateEngine(string engineName, bool graph, DiffusionOptions options, TextWriter stderr) =>
        CpuOnly(graph, options) is { } why ? CreateEngine(engineName, why, stderr) : EngineSelection.Create(engineName, stderr);

    /// <summary>On stderr, how an approximate knn graph did against the exact search (nothing for an exact one).</summary>
    public static void ReportKnnSearch(TextWriter stderr, KnnSearchReport? report)
    {
        if (report is { Method: KnnSearchMethod.Approximate })
            stderr.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"gpuspread: knn graph by NN-descent (approximate): recall {report.Recall:F4} against the exact search on {report.RecallSample} sampled rows"));
    }

    /// <summary>summary.json's knn_search, and knn_recall_sample and knn_recall when approximate.</summary>
    public static void WriteKnnSearch(Utf8JsonWriter json, KnnSearchReport? report)
    {
        if (report is null) return;
        json.WriteString("knn_search", report.Method == KnnSearchMethod.Approximate ? "approximate" : "exact");
        if (report.Method != KnnSearchMethod.Approximate) return;
        json.WriteNumber("knn_recall_sample", report.RecallSample);
        json.WriteNumber("knn_recall", Math.Round(report.Recall, 6));
    }

    public static int Run(string? dataPath, string? graphPath, bool graphDirected, GraphCombination combination, string labelsPath, string outDirectory,
        DiffusionOptions options, string engineName, string? truthPath, TextWriter stderr, CancellationToken cancellation)
    {
        var total = Stopwatch.StartNew();
        return CommandErrors.Run(stderr, () =>
        {
            var inputs = GraphInputs.Read(dataPath, graphPath, graphDirected, labelsPath, truthPath);
            options.Validate(inputs.Rows);
            if (inputs.Features is not null && inputs.Graph is not null) combination.Validate(options.Kernel);
            using var engine = CreateEngine(engineName, inputs.Graph is not null, options, stderr);
            Directory.CreateDirectory(outDirectory);
            var clock = Stopwatch.StartNew();
            GraphFit fit;
            using (var progress = ConsoleProgress.ForStandardError(stderr))
                fit = GraphDiffusion.Fit(engine, inputs.Features, inputs.Graph, combination, Array.ConvertAll(inputs.Labels, l => (long)l),
                    options, progress, cancellation);
            double seconds = clock.Elapsed.TotalSeconds;
            if (!fit.Result.Converged)
                stderr.WriteLine($"gpuspread: warning: max_iter={options.MaxIter} was reached without convergence (ConvergenceWarning).");
            ResultWriter.WritePredictions(Path.Combine(outDirectory, "predictions.csv"), fit.Transduction);
            ResultWriter.WriteDistributions(Path.Combine(outDirectory, "distributions.csv"), fit.Classes, fit.Result.Distributions, fit.Classes.Length);
            double? accuracy = inputs.Truth is null ? null : AccuracyOnUnlabeled(fit.Transduction, inputs.Labels, inputs.Truth);
            AtomicFile.WriteBytes(Path.Combine(outDirectory, "summary.json"), stream =>
            {
                using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
                json.WriteStartObject();
                WriteFitFields(json, inputs, graphPath, combination, options, fit.Classes, fit.Result, fit.KnnSearchReport);
                if (accuracy is { } value) json.WriteNumber("accuracy_unlabeled", value);
                json.WriteString("engine", engine.Description.Name);
                json.WriteString("device", engine.Description.Device);
                json.WriteNumber("seconds", Math.Round(seconds, 4));
                json.WriteNumber("seconds_total", Math.Round(total.Elapsed.TotalSeconds, 4));
                json.WriteEndObject();
            });
            stderr.WriteLine($"gpuspread: {inputs.Rows} rows ({inputs.Input}), {fit.Classes.Length} classes, n_iter {fit.Result.NIter}, fit {seconds:F2} s on {engine.Description.Name} ({engine.Description.Device}); results in {outDirectory}");
            ReportKnnSearch(stderr, fit.KnnSearchReport);
            if (accuracy is { } shown)
                stderr.WriteLine($"gpuspread: accuracy on the {inputs.Labels.Count(l => l == LabelEncoding.Unlabeled)} unlabeled rows: {shown:P2}");
            return ExitCodes.Success;
        }, cancellation);
    }

    /// <summary>The fraction of rows given as unlabeled (and with a known answer, not -1) whose prediction is the answer.</summary>
    public static double AccuracyOnUnlabeled(long[] predicted, int[] labels, int[] answers)
    {
        int scored = 0, correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] != LabelEncoding.Unlabeled || answers[i] == LabelEncoding.Unlabeled) continue;
            scored++;
            if (predicted[i] == answers[i]) correct++;
        }
        return scored == 0 ? 1 : (double)correct / scored;
    }

    /// <summary>The summary fields describing the inputs, the options and the fit (shared with self-train).</summary>
    public static void WriteFitFields(Utf8JsonWriter json, GraphInputs inputs, string? graphPath, GraphCombination combination,
        DiffusionOptions options, long[] classes, DiffusionResult result, KnnSearchReport? knnSearch)
    {
        json.WriteNumber("n", inputs.Rows);
        if (inputs.Features is not null) json.WriteNumber("d", inputs.Features.Cols);
        json.WriteStartArray("classes");
        foreach (long c in classes) json.WriteNumberValue(c);
        json.WriteEndArray();
        json.WriteNumber("n_labeled", inputs.Labels.Count(l => l != LabelEncoding.Unlabeled));
        json.WriteNumber("n_iter", result.NIter);
        json.WriteBoolean("converged", result.Converged);
        json.WriteString("input", inputs.Input);
        json.WriteString("model", options.Model == DiffusionModel.Spreading ? "spreading" : "propagation");
        if (inputs.Features is not null)
        {
            json.WriteString("kernel", options.Kernel == AffinityKernel.Rbf ? "rbf" : "knn");
            json.WriteNumber("gamma", options.Gamma);
            if (options.Kernel == AffinityKernel.Knn)
            {
                json.WriteNumber("n_neighbors", options.NNeighbors);
                json.WriteString("knn_graph", options.KnnGraph.ToString().ToLowerInvariant());
                json.WriteString("knn_self_loops", options.KnnSelfLoops.ToString().ToLowerInvariant());
                json.WriteString("knn_weights", options.KnnWeights.ToString().ToLowerInvariant());
                WriteKnnSearch(json, knnSearch);
            }
            json.WriteString("precision", options.Precision == Precision.Float32 ? "float32" : "float64");
        }
        if (inputs.Graph is not null)
        {
            json.WriteString("graph", graphPath);
            json.WriteNumber("graph_edge_lines", inputs.GraphStats?.Lines ?? 0);
            json.WriteNumber("graph_entries", inputs.Graph.Entries);
            json.WriteNumber("graph_isolated_nodes", inputs.Graph.IsolatedNodes());
            json.WriteBoolean("graph_symmetric", inputs.Graph.IsSymmetric());
            if (inputs.Features is not null)
            {
                json.WriteString("combine", combination.Mode == CombinationMode.Weights ? "weights" : "operators");
                json.WriteNumber("graph_weight", combination.GraphWeight);
            }
        }
        if (options.Model == DiffusionModel.Spreading) json.WriteNumber("alpha", options.Alpha);
        json.WriteNumber("max_iter", options.MaxIter);
        json.WriteNumber("tol", options.Tol);
    }
}

/// <summary>The exit codes of <c>spread</c> for any command body: 2 for bad input, 1 for other failures, messages without stack traces.</summary>
public static class CommandErrors
{
    public static int Run(TextWriter stderr, Func<int> body, CancellationToken cancellation)
    {
        try
        {
            return body();
        }
        catch (Exception error) when (error is InputDataException or InvalidParameterException)
        {
            stderr.WriteLine($"gpuspread: error: {error.Message}");
            return ExitCodes.BadInput;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            stderr.WriteLine("gpuspread: cancelled; no output was written.");
            return ExitCodes.Failure;
        }
        catch (Exception error) when (error is EngineUnavailableException or GraphInputNotSupportedException or IOException
                                          or UnauthorizedAccessException or OutOfMemoryException)
        {
            stderr.WriteLine($"gpuspread: error: {error.Message}");
            return ExitCodes.Failure;
        }
        catch (Exception error)
        {
            stderr.WriteLine($"gpuspread: internal error ({error.GetType().Name}): {error.Message}");
            stderr.WriteLine("Please report it with the command line that caused it.");
            return ExitCodes.Failure;
        }
    }
}
