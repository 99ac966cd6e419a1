using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using GpuSpread.IO;

namespace GpuSpread.Runner;

/// <summary>
/// <c>gpuspread spread</c>: fit LabelSpreading or LabelPropagation on features, a graph or both, and write the
/// predictions and distributions (<see cref="ResultFiles"/>, CSV or .npy) and summary.json (<see cref="FitSummary"/>) as
/// one set (<see cref="OutputDirectory"/>); with <c>--predict</c>, also those of new rows by scikit-learn's inductive
/// rule. Other programs depend on this interface.
/// </summary>
public static class SpreadCommand
{
    public static Command Create(TextWriter stderr, CancellationToken cancellation)
    {
        var command = new Command("spread", "Fit LabelSpreading / LabelPropagation and write predictions, distributions and summary.json; --predict adds new rows'.");
        var inputs = new InputCliOptions();
        inputs.AddTo(command);
        var predict = new Option<string?>("--predict")
        {
            Description = "New rows (X_new.csv, .csv.gz or .npy, the --data columns): write new_predictions and new_distributions by scikit-learn's predict / predict_proba. With --data alone.",
        };
        command.Options.Add(predict);
        var modelOptions = new ModelCliOptions();
        modelOptions.AddTo(command);
        command.SetAction(parsed => CommandErrors.Run(stderr, () =>
        {
            var format = inputs.Format(parsed);
            var files = inputs.Read(parsed);
            return Run(files, modelOptions.Read(parsed), parsed.GetValue(modelOptions.Engine)!, parsed.GetValue(inputs.Out)!, format,
                parsed.GetValue(predict), stderr, cancellation);
        }, cancellation));
        return command;
    }

    /// <param name="predictPath">New rows to predict after the fit (null: none).</param>
    public static int Run(InputFiles files, DiffusionOptions options, string engineName, string outDirectory, OutputFormat format,
        string? predictPath, TextWriter stderr, CancellationToken cancellation)
    {
        var total = Stopwatch.StartNew();
        files.Input.Validate(options);
        var newRows = predictPath is null ? null : ReadNewRows(predictPath, files);
        if (files.UnreachableRowsWarning() is { } warning) stderr.WriteLine($"gpuspread: warning: {warning}");
        using var engine = EngineSelection.Create(engineName, files.Input, options, stderr);
        using var output = OutputDirectory.Open(outDirectory);
        using var estimator = new LabelDiffusion(engine, options);
        using (var progress = ConsoleProgress.ForStandardError(stderr))
            FeaturePrecision.NamingDataFile(files.DataPath, () => estimator.Fit(files.Input, files.Labels, progress, cancellation));
        FeaturePrecision.Warn(stderr, files.DataPath, estimator.PrecisionEscalation);
        double seconds = estimator.GraphSeconds + estimator.DiffuseSeconds;
        if (!estimator.Converged)
            stderr.WriteLine($"gpuspread: warning: max_iter={options.MaxIter} was reached without convergence (ConvergenceWarning).");
        var predictClock = Stopwatch.StartNew();
        var newProbabilities = newRows is null ? null : FeaturePrecision.NamingDataFile(predictPath, () => estimator.PredictProba(newRows, cancellation));
        double predictSeconds = predictClock.Elapsed.TotalSeconds;

        using var set = output.Stage();
        ResultFiles.WriteFit(set, format, estimator.Classes, estimator.Transduction, estimator.Result.Distributions);
        if (newProbabilities is not null) ResultFiles.WriteNewRows(set, format, newProbabilities);
        AccuracyScore? score = files.Truth is null ? null : AnswerKey.OnUnlabeled(estimator.Transduction, files.Labels, files.Truth);
        AtomicFile.WriteBytes(set.File("summary.json"), stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            FitSummary.WriteFit(json, files, options with { Precision = estimator.FitPrecision }, estimator.Classes, estimator.Result, estimator.KnnSearchReport, score);
            FitSummary.WriteOutputs(json, format, predictPath, newRows?.Rows);
            FitSummary.WriteRun(json, estimator.Engine, seconds, total.Elapsed.TotalSeconds);
            json.WriteEndObject();
        });
        set.Commit();
        stderr.WriteLine($"gpuspread: {files.Rows} rows ({OptionNames.Input[files.Input.Kind]}), {estimator.Classes.Length} classes, n_iter {estimator.NIter}, " +
                         $"fit {seconds:F2} s on {estimator.Engine.Name} ({estimator.Engine.Device}); results in {outDirectory}");
        if (newRows is not null) stderr.WriteLine($"gpuspread: predicted {newRows.Rows} new rows of {predictPath} in {predictSeconds:F2} s");
        FitSummary.ReportKnnSearch(stderr, estimator.KnnSearchReport);
        FitSummary.ReportAccuracy(stderr, score);
        return ExitCodes.Success;
    }

    /// <summary>The rows of <c>--predict</c>, refused before the fit where they cannot be predicted.</summary>
    /// <exception cref="InputDataException">a graph as input, a file that cannot be read, or another number of columns.</exception>
    private static FeatureMatrix ReadNewRows(string path, InputFiles files)
    {
        if (files.Input.Kind != GraphInputKind.Features)
            throw new InputDataException($"--predict {path}: a fit with a graph as input (--graph) has no inductive prediction, since new rows " +
                "have no edges to the training rows; use --predict with --data alone, or add the new rows to the graph and the fit with the label -1");
        var rows = FeatureReader.Read(path);
        int columns = files.Input.Features!.Cols;
        if (rows.Cols != columns)
            throw new InputDataException($"{path}: the new rows have {rows.Cols} columns, but the training features ({files.DataPath}) have {columns}; " +
                "--predict needs rows with the same columns");
        return rows;
    }
}
