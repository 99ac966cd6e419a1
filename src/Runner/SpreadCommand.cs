using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using GpuSpread.IO;

namespace GpuSpread.Runner;

/// <summary>
/// <c>gpuspread spread</c>: fit LabelSpreading or LabelPropagation on features, a graph or both, and write
/// predictions.csv, distributions.csv and summary.json (<see cref="FitSummary"/>) as one set (<see cref="OutputDirectory"/>). Other programs depend on this interface.
/// </summary>
public static class SpreadCommand
{
    public static Command Create(TextWriter stderr, CancellationToken cancellation)
    {
        var command = new Command("spread", "Fit LabelSpreading / LabelPropagation and write predictions.csv, distributions.csv and summary.json.");
        var inputs = new InputCliOptions();
        inputs.AddTo(command);
        var modelOptions = new ModelCliOptions();
        modelOptions.AddTo(command);
        command.SetAction(parsed => CommandErrors.Run(stderr, () =>
            Run(inputs.Read(parsed), modelOptions.Read(parsed), parsed.GetValue(modelOptions.Engine)!, parsed.GetValue(inputs.Out)!, stderr, cancellation),
            cancellation));
        return command;
    }

    public static int Run(InputFiles files, DiffusionOptions options, string engineName, string outDirectory, TextWriter stderr,
        CancellationToken cancellation)
    {
        var total = Stopwatch.StartNew();
        files.Input.Validate(options);
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

        using var set = output.Stage();
        ResultWriter.WritePredictions(set.File("predictions.csv"), estimator.Transduction);
        ResultWriter.WriteDistributions(set.File("distributions.csv"), estimator.Classes, estimator.Result.Distributions, estimator.Classes.Length);
        AccuracyScore? score = files.Truth is null ? null : AnswerKey.OnUnlabeled(estimator.Transduction, files.Labels, files.Truth);
        AtomicFile.WriteBytes(set.File("summary.json"), stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            FitSummary.WriteFit(json, files, options with { Precision = estimator.FitPrecision }, estimator.Classes, estimator.Result, estimator.KnnSearchReport, score);
            FitSummary.WriteRun(json, estimator.Engine, seconds, total.Elapsed.TotalSeconds);
            json.WriteEndObject();
        });
        set.Commit();
        stderr.WriteLine($"gpuspread: {files.Rows} rows ({OptionNames.Input[files.Input.Kind]}), {estimator.Classes.Length} classes, n_iter {estimator.NIter}, " +
                         $"fit {seconds:F2} s on {estimator.Engine.Name} ({estimator.Engine.Device}); results in {outDirectory}");
        FitSummary.ReportKnnSearch(stderr, estimator.KnnSearchReport);
        FitSummary.ReportAccuracy(stderr, score);
        return ExitCodes.Success;
    }
}
