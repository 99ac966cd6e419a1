using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GpuSpread.Graphs;
using GpuSpread.IO;
using GpuSpread.SelfTraining;

namespace GpuSpread.Runner;

/// <summary>
/// <c>gpuspread self-train</c>: spreading (or propagation) repeated with pseudo-labels: the graph is built once, each
/// round adopts the rows whose top probability reaches their class's threshold (fixed, or FlexMatch's class-adaptive
/// one) and refits. Writes predictions.csv and distributions.csv (the last fit), pseudo_labels.csv (the adopted rows,
/// their label, round and confidence: apart from the true labels) and summary.json (per-round counts and accuracies).
/// </summary>
public static class SelfTrainCommand
{
    public static Command Create(TextWriter stderr, CancellationToken cancellation)
    {
        var data = new Option<string?>("--data") { Description = "Features: X.csv, X.csv.gz or X.npy; --data, --graph or both." };
        var labels = new Option<string>("--labels") { Description = "Labels: y.csv or y.npy; -1 = unlabeled.", Required = true };
        var output = new Option<string>("--out") { Description = "Output directory (created if missing).", Required = true };
        var rule = new Option<string>("--rule") { Description = "fixed (one threshold tau) or flexmatch (class-adaptive thresholds, Zhang et al. 2021).", DefaultValueFactory = _ => "fixed" };
        rule.AcceptOnlyFromAmong("fixed", "flexmatch");
        var threshold = new Option<double>("--threshold") { Description = "tau: the fixed threshold, or FlexMatch's upper one, in (0, 1].", DefaultValueFactory = _ => 0.95 };
        var maxRounds = new Option<int>("--max-rounds") { Description = "Refits at most after the first fit (the loop stops earlier when nothing new is adopted).", DefaultValueFactory = _ => 10 };
        var revise = new Option<bool>("--revise") { Description = "Re-decide every pseudo-label each round, as FlexMatch does (default: keep them once adopted)." };
        var noWarmUp = new Option<bool>("--no-warmup") { Description = "FlexMatch without its threshold warm-up (beta_c = sigma_c / max sigma)." };
        var truth = new Option<string?>("--truth") { Description = "Optional answer key: per round, the accuracy of the pseudo-labels and of the fit on the unlabeled rows." };

        var command = new Command("self-train", "Self-training: spread, adopt confident rows as pseudo-labels (fixed or FlexMatch thresholds), refit; the graph is built once.")
        {
            data, labels, output, rule, threshold, maxRounds, revise, noWarmUp,
        };
        var modelOptions = new ModelCliOptions();
        modelOptions.AddTo(command);
        command.Options.Add(truth);
        var graphOptions = new GraphCliOptions();
        graphOptions.AddTo(command);
        command.SetAction(parsed =>
        {
            if (parsed.GetValue(data) is null && parsed.GetValue(graphOptions.Graph) is null)
            {
                stderr.WriteLine("gpuspread: self-train needs --data (features), --graph (an edge list) or both.");
                return ExitCodes.BadInput;
            }
            var options = graphOptions.WithKnnOptions(parsed, modelOptions.Read(parsed));
            var selfTraining = new SelfTrainingOptions
            {
                Rule = parsed.GetValue(rule) == "flexmatch" ? ThresholdRule.FlexMatch : ThresholdRule.Fixed,
                Threshold = parsed.GetValue(threshold),
                MaxRounds = parsed.GetValue(maxRounds),
                Revise = parsed.GetValue(revise),
                WarmUp = !parsed.GetValue(noWarmUp),
            };
            return Run(parsed.GetValue(data), parsed.GetValue(graphOptions.Graph), parsed.GetValue(graphOptions.GraphDirected), graphOptions.Combination(parsed),
                parsed.GetValue(labels)!, parsed.GetValue(output)!, options, selfTraining, parsed.GetValue(modelOptions.Engine)!, parsed.GetValue(truth), stderr, cancellation);
        });
        return command;
    }

    public static int Run(string? dataPath, string? graphPath, bool graphDirected, GraphCombination combination, string labelsPath, string outDirectory,
        DiffusionOptions options, SelfTrainingOptions selfTraining, string engineName, string? truthPath, TextWriter stderr, CancellationToken cancellation)
    {
        var total = Stopwatch.StartNew();
        return CommandErrors.Run(stderr, () =>
        {
            selfTraining.Validate();
            var inputs = GraphInputs.Read(dataPath, graphPath, graphDirected, labelsPath, truthPath);
            options.Validate(inputs.Rows);
            if (inputs.Features is not null && inputs.Graph is not null) combination.Validate(options.Kernel);
            var (classes, classIndex) = LabelEncoding.Encode(Array.ConvertAll(inputs.Labels, l => (long)l), inputs.Rows);
            int[]? answers = inputs.Truth?.Select(a => a == LabelEncoding.Unlabeled ? -1 : Math.Max(-1, Array.BinarySearch(classes, (long)a))).ToArray();
            using var engine = GraphSpread.CreateEngine(engineName, inputs.Graph is not null, options, stderr);
            Directory.CreateDirectory(outDirectory);
            var clock = Stopwatch.StartNew();
            using var graph = GraphDiffusion.Build(engine, inputs.Features, inputs.Graph, combination, options, null, cancellation);
            double graphSeconds = clock.Elapsed.TotalSeconds;
            GraphSpread.ReportKnnSearch(stderr, graph.KnnSearchReport);
            var c = CultureInfo.InvariantCulture;
            var result = SelfTrainer.Run(engine, graph, classIndex, classes.Length, options, selfTraining, answers, round =>
                stderr.WriteLine(string.Format(c, "gpuspread: round {0}: adopted {1}{2}{3}; {4} pseudo-labeled{5}{6}; n_iter {7}",
                    round.Round, round.Adopted, round.AdoptedAccuracy is { } a ? string.Format(c, " ({0:P1} right)", a) : "",
                    round.Dropped + round.Relabeled > 0 ? $", dropped {round.Dropped}, relabeled {round.Relabeled}" : "", round.PseudoLabeled,
                    round.PseudoAccuracy is { } p ? string.Format(c, " ({0:P1} right)", p) : "",
                    round.Accuracy is { } u ? string.Format(c, ", accuracy on the unlabeled rows {0:P2}", u) : "", round.NIter)), cancellation);
            double seconds = clock.Elapsed.TotalSeconds;
            var final = result.Final;
            var predictions = LabelEncoding.Decode(classes, final.Distributions, final.Rows);
            ResultWriter.WritePredictions(Path.Combine(outDirectory, "predictions.csv"), predictions);
            ResultWriter.WriteDistributions(Path.Combine(outDirectory, "distributions.csv"), classes, final.Distributions, classes.Length);
            WritePseudoLabels(Path.Combine(outDirectory, "pseudo_labels.csv"), result, classes);
            double? finalAccuracy = result.Rounds.Count > 0 ? result.Rounds[^1].Accuracy : result.InitialAccuracy;
            AtomicFile.WriteBytes(Path.Combine(outDirectory, "summary.json"), stream =>
            {
                using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
                json.WriteStartObject();
                GraphSpread.WriteFitFields(json, inputs, graphPath, combination, options, classes, final, graph.KnnSearchReport);
                json.WriteString("rule", selfTraining.Rule == ThresholdRule.FlexMatch ? "flexmatch" : "fixed");
                json.WriteNumber("threshold", selfTraining.Threshold);
                json.WriteNumber("max_rounds", selfTraining.MaxRounds);
                json.WriteBoolean("revise", selfTraining.Revise);
                if (selfTraining.Rule == ThresholdRule.FlexMatch) json.WriteBoolean("warmup", selfTraining.WarmUp);
                json.WriteNumber("n_true_labeled", classIndex.Count(i => i >= 0));
                json.WriteNumber("n_pseudo_labeled", result.PseudoLabeledCount);
                json.WriteString("stop", result.Stop switch
                {
                    SelfTrainingStop.NothingAdopted => "nothing_adopted",
                    SelfTrainingStop.NoUnlabeledLeft => "no_unlabeled_left",
                    _ => "max_rounds",
                });
                if (result.InitialAccuracy is { } initial) json.WriteNumber("accuracy_unlabeled_initial", initial);
                if (finalAccuracy is { } value) json.WriteNumber("accuracy_unlabeled", value);
                json.WriteStartArray("rounds");
                foreach (var round in result.Rounds) WriteRound(json, round, classes);
                json.WriteEndArray();
                json.WriteString("engine", engine.Description.Name);
                json.WriteString("device", engine.Description.Device);
                json.WriteNumber("seconds_graph", Math.Round(graphSeconds, 4));
                json.WriteNumber("seconds", Math.Round(seconds, 4));
                json.WriteNumber("seconds_total", Math.Round(total.Elapsed.TotalSeconds, 4));
                json.WriteEndObject();
            });
            stderr.WriteLine($"gpuspread: {inputs.Rows} rows ({inputs.Input}), {classes.Length} classes, {result.Rounds.Count} rounds ({result.Stop}), "
                + $"{result.PseudoLabeledCount} pseudo-labels, {seconds.ToString("F2", c)} s on {engine.Description.Name}; results in {outDirectory}");
            if (result.InitialAccuracy is { } before && finalAccuracy is { } after)
                stderr.WriteLine(string.Format(c, "gpuspread: accuracy on the {0} unlabeled rows: {1:P2} before self-training, {2:P2} after",
                    classIndex.Count(i => i < 0), before, after));
            return ExitCodes.Success;
        }, cancellation);
    }

    /// <summary>pseudo_labels.csv: row, label, round (of adoption), confidence (top probability then), pseudo-labeled rows only.</summary>
    private static void WritePseudoLabels(string path, SelfTrainingResult result, long[] classes) => AtomicFile.WriteText(path, writer =>
    {
        writer.Write("row,label,round,confidence\n");
        for (int i = 0; i < result.PseudoLabels.Length; i++)
            if (result.PseudoLabels[i] >= 0)
                writer.Write(string.Create(CultureInfo.InvariantCulture,
                    $"{i},{classes[result.PseudoLabels[i]]},{result.AdoptionRound[i]},{result.AdoptionConfidence[i]:R}\n"));
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
