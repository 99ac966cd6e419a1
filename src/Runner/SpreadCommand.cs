using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using GpuSpread.IO;

namespace GpuSpread.Runner;

/// <summary>
/// <c>gpuspread spread</c>: fit LabelSpreading or LabelPropagation on a data set and write
/// predictions.csv, distributions.csv and summary.json. Other programs depend on this interface.
/// </summary>
public static class SpreadCommand
{
    public static Command Create(TextWriter stderr, CancellationToken cancellation)
    {
        var data = new Option<string?>("--data") { Description = "Features: X.csv, X.csv.gz or X.npy (n rows, d columns); --data, --graph or both." };
        var labels = new Option<string>("--labels") { Description = "Labels: y.csv (one integer per line) or y.npy; -1 = unlabeled.", Required = true };
        var output = new Option<string>("--out") { Description = "Output directory (created if missing).", Required = true };
        var solver = new Option<string>("--solver") { Description = "fixed-point (scikit-learn's loop, the default) or cg (conjugate gradients on the same fixed point; rbf only; --tol is then the relative residual).", DefaultValueFactory = _ => "fixed-point" };
        solver.AcceptOnlyFromAmong("fixed-point", "cg");
        var memoryLimit = new Option<string?>("--memory-limit") { Description = "Memory the engine may use, e.g. 1GiB or 512MiB (default: half of the available memory, spent on caching rbf weights)." };
        var truth = new Option<string?>("--truth") { Description = "Optional answer key (same formats as --labels): report the accuracy on the rows that were unlabeled." };
        var noCut = new Option<bool>("--no-underflow-cut") { Description = "Keep rbf affinities beyond float64's underflow (scikit-learn drops them), so every point keeps its nearest neighbours." };

        var command = new Command("spread", "Fit LabelSpreading / LabelPropagation and write predictions.csv, distributions.csv and summary.json.")
        {
            data, labels, output,
        };
        var modelOptions = new ModelCliOptions();
        modelOptions.AddTo(command);
        foreach (Option option in new Option[] { solver, memoryLimit, truth, noCut }) command.Options.Add(option);
        var graphOptions = new GraphCliOptions();
        graphOptions.AddTo(command);
        command.SetAction(parsed =>
        {
            if (parsed.GetValue(data) is null && parsed.GetValue(graphOptions.Graph) is null)
            {
                stderr.WriteLine("gpuspread: spread needs --data (features), --graph (an edge list) or both.");
                return ExitCodes.BadInput;
            }
            long? limit = null;
            if (parsed.GetValue(memoryLimit) is { } limitText)
            {
                if (!Cli.TryParseBytes(limitText, out long bytes))
                {
                    stderr.WriteLine($"gpuspread: --memory-limit must be a size such as 1GiB, 512MiB or a number of bytes; got '{limitText}'");
                    return ExitCodes.BadInput;
                }
                limit = bytes;
            }
            var options = modelOptions.Read(parsed) with
            {
                Solver = parsed.GetValue(solver) == "cg" ? Solver.ConjugateGradient : Solver.FixedPoint,
                MemoryLimitBytes = limit,
                Float64UnderflowCut = !parsed.GetValue(noCut),
            };
            options = graphOptions.WithKnnOptions(parsed, options);
            if (parsed.GetValue(graphOptions.Graph) is not null || !options.HasScikitLearnKnnGraph)
                return GraphSpread.Run(parsed.GetValue(data), parsed.GetValue(graphOptions.Graph), parsed.GetValue(graphOptions.GraphDirected),
                    graphOptions.Combination(parsed), parsed.GetValue(labels)!, parsed.GetValue(output)!, options, parsed.GetValue(modelOptions.Engine)!,
                    parsed.GetValue(truth), stderr, cancellation);
            return Run(parsed.GetValue(data)!, parsed.GetValue(labels)!, parsed.GetValue(output)!, options,
                parsed.GetValue(modelOptions.Engine)!, parsed.GetValue(truth), stderr, cancellation);
        });
        return command;
    }

    public static int Run(string dataPath, string labelsPath, string outDirectory, DiffusionOptions options, string engineName,
        string? truthPath, TextWriter stderr, CancellationToken cancellation)
    {
        var total = Stopwatch.StartNew();
        try
        {
            var features = FeatureReader.Read(dataPath);
            var labels = LabelReader.Read(labelsPath);
            CheckRowCount(labelsPath, labels.Length, dataPath, features.Rows);
            var answers = truthPath is null ? null : LabelReader.Read(truthPath);
            if (answers is not null) CheckRowCount(truthPath!, answers.Length, dataPath, features.Rows);
            options.Validate(features.Rows);
            Directory.CreateDirectory(outDirectory);

            using var engine = GraphSpread.CreateEngine(engineName, graph: false, options, stderr);
            using var estimator = LabelDiffusion.Create(engine, options);
            var fitClock = Stopwatch.StartNew();
            using (var progress = ConsoleProgress.ForStandardError(stderr))
                estimator.Fit(features, Array.ConvertAll(labels, l => (long)l), progress, cancellation);
            double fitSeconds = fitClock.Elapsed.TotalSeconds;
            if (!estimator.Converged)
                stderr.WriteLine($"gpuspread: warning: max_iter={options.MaxIter} was reached without convergence (ConvergenceWarning).");

            ResultWriter.WritePredictions(Path.Combine(outDirectory, "predictions.csv"), estimator.Transduction);
            ResultWriter.WriteDistributions(Path.Combine(outDirectory, "distributions.csv"), estimator.Classes, estimator.LabelDistributions, estimator.Classes.Length);
            double? accuracy = answers is null ? null : AccuracyOnUnlabeled(estimator.Transduction, labels, answers);
            WriteSummary(Path.Combine(outDirectory, "summary.json"), features, labels, options, estimator, accuracy, fitSeconds, total.Elapsed.TotalSeconds);
            stderr.WriteLine($"gpuspread: {features.Rows} rows, {estimator.Classes.Length} classes, n_iter {estimator.NIter}, fit {fitSeconds:F2} s on {estimator.Engine.Name} ({estimator.Engine.Device}); results in {outDirectory}");
            GraphSpread.ReportKnnSearch(stderr, estimator.KnnSearchReport);
            if (accuracy is { } value)
                stderr.WriteLine($"gpuspread: accuracy on the {labels.Count(l => l == LabelEncoding.Unlabeled)} unlabeled rows: {value:P2}");
            return ExitCodes.Success;
        }
        catch (Exception error) when (error is InputDataException or InvalidParameterException)
        {
            stderr.WriteLine($"gpuspread: error: {error.Message}");
            return ExitCodes.BadInput;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("gpuspread: cancelled; no output was written.");
            return ExitCodes.Failure;
        }
        catch (Exception error) when (error is EngineUnavailableException or IOException or UnauthorizedAccessException or OutOfMemoryException)
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

    private static void CheckRowCount(string labelsPath, int labelCount, string dataPath, int rows)
    {
        if (labelCount != rows)
            throw new InputDataException($"{labelsPath}: {labelCount} labels for {rows} feature rows in {dataPath}; there must be one label per row");
    }

    /// <summary>The fraction of rows given as unlabeled whose predicted label is the answer key's.</summary>
    private static double AccuracyOnUnlabeled(long[] predicted, int[] labels, int[] answers)
    {
        int unlabeled = 0, correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] != LabelEncoding.Unlabeled) continue;
            unlabeled++;
            if (predicted[i] == answers[i]) correct++;
        }
        return unlabeled == 0 ? 1 : (double)correct / unlabeled;
    }

    private static void WriteSummary(string path, FeatureMatrix features, int[] labels, DiffusionOptions options, LabelDiffusion estimator,
        double? accuracy, double fitSeconds, double totalSeconds)
    {
        AtomicFile.WriteBytes(path, stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteNumber("n", features.Rows);
            json.WriteNumber("d", features.Cols);
            json.WriteStartArray("classes");
            foreach (long c in estimator.Classes) json.WriteNumberValue(c);
            json.WriteEndArray();
            json.WriteNumber("n_labeled", labels.Count(l => l != LabelEncoding.Unlabeled));
            json.WriteNumber("n_iter", estimator.NIter);
            json.WriteBoolean("converged", estimator.Converged);
            json.WriteString("model", options.Model == DiffusionModel.Spreading ? "spreading" : "propagation");
            json.WriteString("kernel", options.Kernel == AffinityKernel.Rbf ? "rbf" : "knn");
            json.WriteNumber("gamma", options.Gamma);
            json.WriteNumber("n_neighbors", options.NNeighbors);
            GraphSpread.WriteKnnSearch(json, estimator.KnnSearchReport);
            if (options.Model == DiffusionModel.Spreading) json.WriteNumber("alpha", options.Alpha);
            json.WriteNumber("max_iter", options.MaxIter);
            json.WriteNumber("tol", options.Tol);
            json.WriteString("solver", options.Solver == Solver.ConjugateGradient ? "cg" : "fixed-point");
            json.WriteString("precision", options.Precision == Precision.Float32 ? "float32" : "float64");
            json.WriteBoolean("underflow_cut", options.Float64UnderflowCut);
            if (accuracy is { } value) json.WriteNumber("accuracy_unlabeled", value);
            json.WriteString("engine", estimator.Engine.Name);
            json.WriteString("device", estimator.Engine.Device);
            json.WriteNumber("seconds", Math.Round(fitSeconds, 4));
            json.WriteNumber("seconds_total", Math.Round(totalSeconds, 4));
            json.WriteEndObject();
        });
    }
}
