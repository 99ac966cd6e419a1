using System.Globalization;
using GpuSpread.Active;
using GpuSpread.IO;
using Spectre.Console;

namespace GpuSpread.Runner;

/// <summary><c>gpuspread active</c>'s rounds with the chosen oracle, and its outputs: reports, labels, predictions, figures.</summary>
public static class ActiveRounds
{
    public static int Run(ActiveSession session, ActiveArguments arguments, IDiffusionEngine engine, ActiveLearner learner, ActiveJournal? journal,
        IReadOnlyList<JournalRound> replay, OutputDirectory output, TextWriter stdout, TextWriter stderr, TextReader input, CancellationToken cancellation)
    {
        ILabelOracle oracle = session.Oracle switch
        {
            "truth" => new AnswerKeyOracle(session.Truth!),
            "file" => new FileRoundTripOracle(arguments.Out, session.Allowed),
            _ => new TerminalOracle(TerminalConsole(stdout), input, session.Features, session.ImageShape, session.Allowed),
        };

        var settings = session.Settings(engine);
        // Each completed round publishes a set with the report so far; the last set adds the final model's files.
        void Publish(Action<OutputSet> write)
        {
            using var set = output.Stage();
            if (session.Indices is { } indices)
                AtomicFile.WriteText(set.File("demo_subset.csv"), w =>
                {
                    w.Write("subset_row,digits_row\n");
                    for (int i = 0; i < indices.Length; i++) w.Write(string.Create(CultureInfo.InvariantCulture, $"{i},{indices[i]}\n"));
                });
            write(set);
            set.Commit();
        }

        var texts = new List<string>();
        var completed = new List<RoundResult>();
        using var progress = ConsoleProgress.ForStandardError(stderr);
        var events = new ActiveLearningEvents
        {
            RoundFitted = round =>
            {
                progress.Dispose(); // ends a progress line left open on the terminal
                string text = ActiveReport.FormatRound(round, Math.Max(session.Active.Rounds, replay.Count), session.Options.Model, session.Truth,
                    showTruth: session.Oracle == "truth");
                texts.Add(text);
                stdout.Write(text);
                stdout.WriteLine();
                stdout.Flush();
                string accuracy = round.Accuracy is { } a ? $", accuracy on the unlabeled rows {a:P2}" : "";
                string graph = round.GraphSeconds > 0 ? $" (graph {round.GraphSeconds:F2} s, built once)" : "";
                if (round.GraphSeconds > 0 && learner.FitPrecision is { } precision)
                {
                    FeaturePrecision.Warn(stderr, session.Demo is null ? session.Source : null, learner.PrecisionEscalation);
                    settings["precision"] = OptionNames.Precision[precision];
                }
                if (round.GraphSeconds > 0 && learner.KnnSearchReport is { } search)
                {
                    FitSummary.ReportKnnSearch(stderr, search);
                    settings["knn_search"] = OptionNames.KnnSearch[search.Method];
                    if (search.Method == KnnSearchMethod.Approximate)
                    {
                        settings["knn_recall_sample"] = search.RecallSample;
                        settings["knn_recall"] = Math.Round(search.Recall, 6);
                    }
                }
                stderr.WriteLine($"gpuspread: round {round.Round}: {round.LabeledCount} labeled{accuracy}; picked {string.Join(", ", round.Picked.Select(p => p.Row))}; " +
                    $"{round.Seconds:F3} s{graph}, n_iter {round.NIter}");
            },
            RoundCompleted = round =>
            {
                completed.Add(round);
                Publish(set => ActiveReport.WriteJson(set.File("report.json"), completed, null, null, session.Truth, settings));
            },
            Warning = message => stderr.WriteLine($"gpuspread: warning: {message}"),
        };

        var result = FeaturePrecision.NamingDataFile(session.Demo is null ? session.Source : null,
            () => learner.Run(oracle, journal, replay, events, progress, cancellation));
        progress.Dispose();

        var final = result.Final;
        var figures = new List<string>();
        Publish(set =>
        {
            ActiveReport.WriteJson(set.File("report.json"), result.Rounds, final, result.Stop, session.Truth, settings);
            AtomicFile.WriteText(set.File("report.txt"), w =>
            {
                foreach (string text in texts) w.Write(text + "\n");
                w.Write(FinalText(final, result));
            });
            ResultWriter.WritePredictions(set.File("labels.csv"), final.Labels);
            ResultWriter.WritePredictions(set.File("predictions.csv"), final.Predictions);
            ResultWriter.WriteDistributions(set.File("distributions.csv"), final.Classes, final.Distributions, final.Classes.Length);
            figures = WriteFigures(session, set, result, stderr);
        });
        stdout.Write(FinalText(final, result));

        switch (result.Stop)
        {
            case ActiveStop.OracleStopped when oracle is FileRoundTripOracle file:
                foreach (string message in file.Messages) stderr.WriteLine($"gpuspread: {message}");
                break;
            case ActiveStop.OracleStopped:
                stderr.WriteLine($"gpuspread: stopped at your request; every answer is in {journal!.Path}: run the same command with --resume to go on.");
                break;
            case ActiveStop.NothingLeft:
                stderr.WriteLine("gpuspread: no unlabeled row left to ask about.");
                break;
        }
        if (oracle is FileRoundTripOracle { Messages.Count: > 0 } withWarnings && result.Stop != ActiveStop.OracleStopped)
            foreach (string message in withWarnings.Messages) stderr.WriteLine($"gpuspread: {message}");
        int acquired = result.Rounds.Sum(r => r.Answers.Count(a => !a.Skipped));
        stderr.WriteLine($"gpuspread: {result.Rounds.Count} rounds, {final.LabeledCount} labels ({acquired} acquired); results in {arguments.Out}" +
            (figures.Count > 0 ? $" (figures: {string.Join(", ", figures)})" : ""));
        return ExitCodes.Success;
    }

    /// <summary>Colours and styles on a terminal; plain text when the output is a file, a pipe or a test's writer.</summary>
    private static IAnsiConsole TerminalConsole(TextWriter stdout)
    {
        bool terminal = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
        return AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
    }

    private static string FinalText(FinalFit final, ActiveLearningResult result)
    {
        string accuracy = final.Accuracy is { } a ? $", accuracy on the {final.Labels.Length - final.LabeledCount} unlabeled rows {PythonFormat.Fixed(a, 4)}" : "";
        string stop = result.Stop switch
        {
            ActiveStop.OracleStopped => " (the session stopped early; resume it with --resume)",
            ActiveStop.NothingLeft => " (no unlabeled row left)",
            _ => "",
        };
        return $"Final model: {final.LabeledCount} labeled{accuracy}{stop}\n";
    }

    private static List<string> WriteFigures(ActiveSession session, OutputSet set, ActiveLearningResult result, TextWriter stderr)
    {
        var written = new List<string>();
        try
        {
            if (session.ImageShape is { } shape && result.Rounds.Any(r => r.Picked.Count > 0))
            {
                ActiveFigures.WritePickedGrid(set.File(ActiveFigures.PickedFile), result.Rounds, session.Features, shape, session.Truth);
                written.Add(ActiveFigures.PickedFile);
            }
            if (result.Rounds.Any(r => r.Accuracy is not null))
            {
                string title = session.Indices is not null ? "Digits active learning: LabelSpreading, most uncertain rows labeled" : "Active learning";
                ActiveFigures.WriteLearningCurve(set.File(ActiveFigures.LearningCurveFile), result.Rounds, result.Final, title);
                written.Add(ActiveFigures.LearningCurveFile);
            }
        }
        catch (Exception error) when (error is DllNotFoundException or TypeInitializationException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"gpuspread: warning: the figures were not written: {error.Message}");
        }
        return written;
    }
}
