using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GpuSpread.IO;
using GpuSpread.SelfTraining;

namespace GpuSpread.Runner;

/// <summary>
/// <c>gpuspread self-train</c>: spreading (or propagation) repeated with pseudo-labels: the graph is built once, each
/// round adopts the rows whose top probability reaches their class's threshold (fixed, or FlexMatch's class-adaptive
/// one) and refits. Writes predictions and distributions (the last fit; <see cref="ResultFiles"/>), pseudo_labels.csv (the adopted rows,
/// their label, round and confidence: apart from the true labels) and summary.json (per-round counts and accuracies).
/// </summary>
public static class SelfTrainCommand
{
    public static Command Create(TextWriter stderr, CancellationToken cancellation)
    {
        var rule = new Option<string>("--rule") { Description = "fixed (one threshold tau) or flexmatch (class-adaptive thresholds, Zhang et al. 2021).", DefaultValueFactory = _ => WorkflowNames.Rule.Names[0] };
        rule.AcceptOnlyFromAmong([.. WorkflowNames.Rule.Names]);
        var threshold = new Option<double>("--threshold") { Description = "tau: the fixed threshold, or FlexMatch's upper one, in (0, 1].", DefaultValueFactory = _ => 0.95 };
        var maxRounds = new Option<int>("--max-rounds") { Description = "Refits at most after the first fit (the loop stops earlier when nothing new is adopted).", DefaultValueFactory = _ => 10 };
        var revise = new Option<bool>("--revise") { Description = "Re-decide every pseudo-label each round, as FlexMatch does (default: keep them once adopted)." };
        var noWarmUp = new Option<bool>("--no-warmup") { Description = "FlexMatch without its threshold warm-up (beta_c = sigma_c / max sigma)." };
        var command = new Command("self-train", "Self-training: spread, adopt confident rows as pseudo-labels (fixed or FlexMatch thresholds), refit; the graph is built once.")
        {
            rule, threshold, maxRounds, revise, noWarmUp,
        };
        var inputs = new InputCliOptions();
        inputs.AddTo(command);
        var modelOptions = new ModelCliOptions();
        modelOptions.AddTo(command);
        command.SetAction(parsed => CommandErrors.Run(stderr, () =>
        {
            var selfTraining = new SelfTrainingOptions
            {
                Rule = WorkflowNames.Rule.Parse(parsed.GetValue(rule), "rule"),
                Threshold = parsed.GetValue(threshold),
                MaxRounds = parsed.GetValue(maxRounds),
                Revise = parsed.GetValue(revise),
                WarmUp = !parsed.GetValue(noWarmUp),
            };
            selfTraining.Validate();
            return Run(inputs.Read(parsed), modelOptions.Read(parsed), selfTraining, parsed.GetValue(modelOptions.Engine)!, parsed.GetValue(inputs.Out)!,
                inputs.Format(parsed), stderr, cancellation);
        }, cancellation));
        return command;
    }

    public static int Run(InputFiles files, DiffusionOptions options, SelfTrainingOptions selfTraining, string engineName, string outDirectory,
        OutputFormat format, TextWriter stderr, CancellationToken cancellation)
    {
        var total = Stopwatch.StartNew();
        files.Input.Validate(options);
        if (files.UnreachableRowsWarning() is { } warning) stderr.WriteLine($"gpuspread: warning: {warning}");
        using var engine = EngineSelection.Create(engineName, files.Input, options, stderr);
        using var output = OutputDirectory.Open(outDirectory);
        using var estimator = new LabelDiffusion(engine, options);
        var clock = Stopwatch.StartNew();
        FeaturePrecision.NamingDataFile(files.DataPath, () => estimator.Fit(files.Input, files.Labels, cancellation: cancellation));
        FeaturePrecision.Warn(stderr, files.DataPath, estimator.PrecisionEscalation);
        double graphSeconds = estimator.GraphSeconds;
        FitSummary.ReportKnnSearch(stderr, estimator.KnnSearchReport);
        var c = CultureInfo.InvariantCulture;
        var result = SelfTrainer.Run(estimator, selfTraining, files.Truth, round =>
            stderr.WriteLine(string.Format(c, "gpuspread: round {0}: adopted {1}{2}{3}; {4} pseudo-labeled{5}{6}; n_iter {7}",
                round.Round, round.Adopted, round.AdoptedAccuracy is { } a ? string.Format(c, " ({0:P1} right)", a) : "",
                round.Dropped + round.Relabeled > 0 ? $", dropped {round.Dropped}, relabeled {round.Relabeled}" : "", round.PseudoLabeled,
                round.PseudoAccuracy is { } p ? string.Format(c, " ({0:P1} right)", p) : "",
                round.Accuracy is { } u ? string.Format(c, ", accuracy on the unlabeled rows {0:P2}", u) : "", round.NIter)), cancellation);
        double seconds = clock.Elapsed.TotalSeconds;
        var classes = result.Classes;
        using var set = output.Stage();
        ResultFiles.WriteFit(set, format, classes, result.Predictions, result.Final.Distributions);
        WritePseudoLabels(set.File("pseudo_labels.csv"), result);
        AccuracyScore? score = files.Truth is null ? null : AnswerKey.OnUnlabeled(result.Predictions, files.Labels, files.Truth);
        AtomicFile.WriteBytes(set.File("summary.json"), stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            FitSummary.WriteFit(json, files, options with { Precision = estimator.FitPrecision }, classes, result.Final, estimator.KnnSearchReport, score);
            FitSummary.WriteOutputs(json, format, null, null);
            json.WriteString("rule", WorkflowNames.Rule[selfTraining.Rule]);
            json.WriteNumber("threshold", selfTraining.Threshold);
            json.WriteNumber("max_rounds", selfTraining.MaxRounds);
            json.WriteBoolean("revise", selfTraining.Revise);
            json.WriteBoolean("warmup", selfTraining.WarmUp);
            json.WriteNumber("n_true_labeled", files.Labels.Count(l => l != LabelEncoding.Unlabeled));
            json.WriteNumber("n_pseudo_labeled", result.PseudoLabeledCount);
            json.WriteString("stop", WorkflowNames.Stop[result.Stop]);
            if (result.InitialAccuracy?.Accuracy is { } initial) json.WriteNumber("accuracy_unlabeled_initial", initial);
            else json.WriteNull("accuracy_unlabeled_initial");
            json.WriteStartArray("rounds");
            foreach (var round in result.Rounds) WriteRound(json, round, classes);
            json.WriteEndArray();
            json.WriteNumber("seconds_graph", Math.Round(graphSeconds, 4));
            FitSummary.WriteRun(json, estimator.Engine, seconds, total.Elapsed.TotalSeconds);
            json.WriteEndObject();
        });
        set.Commit();
        stderr.WriteLine($"gpuspread: {files.Rows} rows ({OptionNames.Input[files.Input.Kind]}), {classes.Length} classes, {result.Rounds.Count} rounds ({WorkflowNames.Stop[result.Stop]}), "
            + $"{result.PseudoLabeledCount} pseudo-labels, {seconds.ToString("F2", c)} s on {estimator.Engine.Name}; results in {outDirectory}");
        if (result.InitialAccuracy?.Accuracy is { } before && score?.Accuracy is { } after)
            stderr.WriteLine(string.Format(c, "gpuspread: accuracy on the {0} unlabeled rows with an answer: {1:P2} before self-training, {2:P2} after",
                score.Value.Scored, before, after));
        return ExitCodes.Success;
    }

    /// <summary>pseudo_labels.csv: row, label, round (of adoption), confidence (top probability then), pseudo-labeled rows only.</summary>
    private static void WritePseudoLabels(string path, SelfTrainingResult result) => AtomicFile.WriteText(path, writer =>
    {
        writer.Write("row,label,round,confidence\n");
        for (int i = 0; i < result.PseudoLabels.Length; i++)
            if (result.PseudoLabels[i] >= 0)
                writer.Write(string.Create(CultureInfo.InvariantCulture,
                    $"{i},{result.Classes[result.PseudoLabels[i]]},{result.AdoptionRound[i]},{result.AdoptionConfidence[i]:R}\n"));
    });

    /// <summary>One round in summary.json (thresholds in class order, keyed by class label when <paramref name="classes"/> is given).</summary>
    public static void WriteRound(Utf8JsonWriter json, SelfTrainingRound round, long[]? classes = null)
    {
        json.WriteStartObject();
        json.WriteNumber("round", round.Round);
        json.WriteNumber("adopted", round.Adopted);
        json.WriteNumber("dropped", round.Dropped);
        json.WriteNumber("relabeled", round.Relabeled);
        json.WriteNumber("pseudo_labeled", round.PseudoLabeled);
        if (round.AdoptedAccuracy is { } adopted) json.WriteNumber("adopted_accuracy", adopted);
        if (round.PseudoAccuracy is { } pseudo) json.WriteNumber("pseudo_accuracy", pseudo);
        if (round.Accuracy is { } accuracy) json.WriteNumber("accuracy_unlabeled", accuracy);
        json.WriteStartObject("thresholds");
        for (int c = 0; c < round.Thresholds.Length; c++)
            json.WriteNumber((classes?[c] ?? c).ToString(CultureInfo.InvariantCulture), Math.Round(round.Thresholds[c], 6));
        json.WriteEndObject();
        json.WriteNumber("n_iter", round.NIter);
        json.WriteNumber("seconds", Math.Round(round.Seconds, 4));
        json.WriteEndObject();
    }
}
