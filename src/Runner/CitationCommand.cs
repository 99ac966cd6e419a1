using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GpuSpread.Experiments;
using GpuSpread.Experiments.Citation;
using GpuSpread.Graphs;
using GpuSpread.IO;
using GpuSpread.SelfTraining;

namespace GpuSpread.Runner;

/// <summary>
/// <c>gpuspread citation</c>: one method on a citation data set's standard split (train labels only; the validation
/// split only picks hyper-parameters left open, and the output says so); test accuracy on stdout.
/// </summary>
public static class CitationCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        var dataDir = new Option<string>("--data-dir") { Description = "A citation data set: labels.csv, edges.csv, split.csv and features.npy or features_coo.csv (e.g. ../shared/data/cora).", Required = true };
        var method = new Option<string>("--method") { Description = "graph (spreading over the citation graph), knn (over a cosine kNN graph of the features), combined (both), linear (softmax regression), sgc (propagated features + softmax regression), correct-and-smooth (over linear or sgc).", Required = true };
        method.AcceptOnlyFromAmong([.. CitationBenchmark.MethodNames.Names]);
        var alpha = new Option<double>("--alpha") { Description = "Spreading's alpha (graph, knn, combined).", DefaultValueFactory = _ => 0.9 };
        var maxIter = new Option<int>("--max-iter") { Description = "Spreading's iteration limit.", DefaultValueFactory = _ => 1000 };
        var tol = new Option<double>("--tol") { Description = "Spreading's tolerance (L1 change of F).", DefaultValueFactory = _ => 1e-4 };
        var neighbours = new Option<int>("--n-neighbors") { Description = "k of the feature kNN graph.", DefaultValueFactory = _ => 20 };
        var defaults = new CitationSettings();
        var knnGraph = new Option<string>("--knn-graph") { Description = "directed, union or mutual.", DefaultValueFactory = _ => OptionNames.KnnGraph[defaults.KnnGraph] };
        knnGraph.AcceptOnlyFromAmong([.. OptionNames.KnnGraph.Names]);
        var knnSelf = new Option<string>("--knn-self-loops") { Description = "include or drop.", DefaultValueFactory = _ => OptionNames.KnnSelfLoops[defaults.KnnSelfLoops] };
        knnSelf.AcceptOnlyFromAmong([.. OptionNames.KnnSelfLoops.Names]);
        var knnWeights = new Option<string>("--knn-weights") { Description = "connectivity or rbf (exp(-gamma r) on unit-length rows).", DefaultValueFactory = _ => OptionNames.KnnWeights[defaults.KnnWeights] };
        knnWeights.AcceptOnlyFromAmong([.. OptionNames.KnnWeights.Names]);
        var gamma = new Option<double>("--gamma") { Description = "rbf weights of the kNN edges.", DefaultValueFactory = _ => 1 };
        var combine = new Option<string>("--combine") { Description = "combined: operators or weights.", DefaultValueFactory = _ => OptionNames.Combine[defaults.Combine] };
        combine.AcceptOnlyFromAmong([.. OptionNames.Combine.Names]);
        var graphWeight = new Option<double>("--graph-weight") { Description = "combined: the citation graph's share mu in [0, 1].", DefaultValueFactory = _ => 0.85 };
        var lambda = new Option<double?>("--lambda") { Description = "L2 penalty of the softmax regression (default: chosen on the validation split from 1e-2 ... 1e-6)." };
        var hops = new Option<int>("--hops") { Description = "SGC's K.", DefaultValueFactory = _ => 2 };
        var baseModel = new Option<string>("--base") { Description = "correct-and-smooth's base model: linear or sgc.", DefaultValueFactory = _ => "linear" };
        baseModel.AcceptOnlyFromAmong("linear", "sgc");
        var correctAlpha = new Option<double>("--correct-alpha") { Description = "correct-and-smooth: alpha1 (residual spreading).", DefaultValueFactory = _ => 0.9 };
        var smoothAlpha = new Option<double>("--smooth-alpha") { Description = "correct-and-smooth: alpha2 (smoothing).", DefaultValueFactory = _ => 0.9 };
        var fdiffScale = new Option<double?>("--fdiff-scale") { Description = "correct-and-smooth: the FDiff-scale correction with this scale instead of autoscale." };
        var selfTrain = new Option<string>("--self-train") { Description = "Self-training on top of graph, knn or combined: none, fixed or flexmatch.", DefaultValueFactory = _ => "none" };
        selfTrain.AcceptOnlyFromAmong(["none", .. WorkflowNames.Rule.Names]);
        var threshold = new Option<double>("--threshold") { Description = "Self-training's tau.", DefaultValueFactory = _ => 0.95 };
        var maxRounds = new Option<int>("--max-rounds") { Description = "Self-training's rounds at most.", DefaultValueFactory = _ => 10 };
        var revise = new Option<bool>("--revise") { Description = "Self-training: re-decide every pseudo-label each round (default: keep them once adopted)." };
        var noWarmUp = new Option<bool>("--no-warmup") { Description = "FlexMatch without its threshold warm-up." };
        var engine = new Option<string>("--engine") { Description = "auto, cpu, gpu or gpu-sim (see gpuspread spread).", DefaultValueFactory = _ => EngineSelection.Names[0] };
        engine.AcceptOnlyFromAmong(EngineSelection.Names);
        var output = new Option<string?>("--out") { Description = "Optional directory for predictions.csv and summary.json." };

        var command = new Command("citation", "Evaluate a method on a citation benchmark's standard split (Cora, CiteSeer) and print the test accuracy.")
        {
            dataDir, method, alpha, maxIter, tol, neighbours, knnGraph, knnSelf, knnWeights, gamma, combine, graphWeight, lambda, hops, baseModel,
            correctAlpha, smoothAlpha, fdiffScale, selfTrain, threshold, maxRounds, revise, noWarmUp, engine, output,
        };
        command.SetAction(parsed => CommandErrors.Run(stderr, () =>
        {
            SelfTrainingOptions? selfTraining = WorkflowNames.Rule.TryParse(parsed.GetValue(selfTrain), out var rule) ? new SelfTrainingOptions { Rule = rule } : null;
            if (selfTraining is not null)
                selfTraining = selfTraining with
                {
                    Threshold = parsed.GetValue(threshold), MaxRounds = parsed.GetValue(maxRounds), Revise = parsed.GetValue(revise), WarmUp = !parsed.GetValue(noWarmUp),
                };
            var settings = new CitationSettings
            {
                Alpha = parsed.GetValue(alpha),
                MaxIter = parsed.GetValue(maxIter),
                Tol = parsed.GetValue(tol),
                NNeighbors = parsed.GetValue(neighbours),
                KnnGraph = OptionNames.KnnGraph.Parse(parsed.GetValue(knnGraph), "knn_graph"),
                KnnSelfLoops = OptionNames.KnnSelfLoops.Parse(parsed.GetValue(knnSelf), "knn_self_loops"),
                KnnWeights = OptionNames.KnnWeights.Parse(parsed.GetValue(knnWeights), "knn_weights"),
                Gamma = parsed.GetValue(gamma),
                Combine = OptionNames.Combine.Parse(parsed.GetValue(combine), "combine"),
                GraphWeight = parsed.GetValue(graphWeight),
                Lambda = parsed.GetValue(lambda),
                Hops = parsed.GetValue(hops),
                Base = CitationBenchmark.MethodNames.Parse(parsed.GetValue(baseModel), "base"),
                CorrectAndSmooth = new CorrectAndSmoothOptions
                {
                    CorrectAlpha = parsed.GetValue(correctAlpha),
                    SmoothAlpha = parsed.GetValue(smoothAlpha),
                    Autoscale = parsed.GetValue(fdiffScale) is null,
                    Scale = parsed.GetValue(fdiffScale) ?? 1,
                },
                SelfTraining = selfTraining,
            };
            return Run(parsed.GetValue(dataDir)!, CitationBenchmark.MethodNames.Parse(parsed.GetValue(method), "method"), settings, parsed.GetValue(engine)!,
                parsed.GetValue(output), stdout, stderr, cancellation);
        }, cancellation));
        return command;
    }

    public static int Run(string dataDirectory, CitationMethod method, CitationSettings settings, string engineName, string? outDirectory,
        TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        if (settings.SelfTraining is not null && method is not (CitationMethod.Graph or CitationMethod.Knn or CitationMethod.Combined))
            throw new InvalidParameterException("self_train", WorkflowNames.Rule[settings.SelfTraining.Rule], "'none' with linear, sgc and correct-and-smooth (self-training runs on the spreading methods)");
        settings.SelfTraining?.Validate();
        settings.CorrectAndSmooth.Validate();
        if (settings.Hops < 0) throw new InvalidParameterException("hops", settings.Hops, "an int in the range [0, inf)");
        if (outDirectory is not null) OutputDirectory.Check(outDirectory);
        var data = CitationDataset.Load(dataDirectory);
        var input = CitationBenchmark.Input(data, method, settings);
        using var engine = EngineSelection.Create(engineName, input, settings.SpreadingOptions(), stderr);
        using var output = outDirectory is null ? null : OutputDirectory.Open(outDirectory);
        var result = CitationBenchmark.Evaluate(data, method, settings, engine, input, cancellation);
        var c = CultureInfo.InvariantCulture;
        stdout.WriteLine(string.Format(c, "{0} {1}: test accuracy {2:F2} % ({3} of {4}), validation {5:F2} %, {6:F1} s",
            data.Name, CitationBenchmark.MethodNames[method], 100 * result.TestAccuracy, result.TestCorrect, result.TestCount, 100 * result.ValidationAccuracy, result.Seconds));
        foreach (string choice in result.Choices) stdout.WriteLine($"  {choice}");
        if (result.SelfTraining is { } st)
        {
            stdout.WriteLine(string.Format(c, "  round 0 (true labels only): accuracy on the unlabeled nodes {0:F2} %", 100 * (st.InitialAccuracy?.Accuracy ?? 0)));
            foreach (var round in st.Rounds)
                stdout.WriteLine(string.Format(c, "  round {0}: adopted {1}{2}, pseudo-labeled {3} ({4} right), accuracy on the unlabeled nodes {5:F2} %{6}",
                    round.Round, round.Adopted, round.AdoptedAccuracy is { } a ? string.Format(c, " ({0:F1} % right)", 100 * a) : "",
                    round.PseudoLabeled, round.PseudoAccuracy is { } p ? string.Format(c, "{0:F1} %", 100 * p) : "n/a", 100 * (round.Accuracy ?? 0),
                    round.Dropped + round.Relabeled > 0 ? $", dropped {round.Dropped}, relabeled {round.Relabeled}" : ""));
            stdout.WriteLine($"  stopped: {st.Stop}");
        }
        if (output is not null) WriteOutputs(output, data, method, result);
        return ExitCodes.Success;
    }

    private static void WriteOutputs(OutputDirectory output, CitationDataset data, CitationMethod method, CitationResult result)
    {
        using var set = output.Stage();
        ResultWriter.WritePredictions(set.File("predictions.csv"), result.Predictions.Select(p => (long)p).ToArray());
        AtomicFile.WriteBytes(set.File("summary.json"), stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteString("dataset", data.Name);
            json.WriteString("method", CitationBenchmark.MethodNames[method]);
            json.WriteNumber("test_accuracy", result.TestAccuracy);
            json.WriteNumber("test_correct", result.TestCorrect);
            json.WriteNumber("test_count", result.TestCount);
            json.WriteNumber("validation_accuracy", result.ValidationAccuracy);
            json.WriteStartArray("choices");
            foreach (string choice in result.Choices) json.WriteStringValue(choice);
            json.WriteEndArray();
            if (result.SelfTraining is { } st)
            {
                json.WriteNumber("pseudo_labeled", st.PseudoLabeledCount);
                json.WriteStartArray("rounds");
                foreach (var round in st.Rounds) SelfTrainCommand.WriteRound(json, round);
                json.WriteEndArray();
            }
            json.WriteNumber("seconds", Math.Round(result.Seconds, 3));
            json.WriteEndObject();
        });
        set.Commit();
    }
}
