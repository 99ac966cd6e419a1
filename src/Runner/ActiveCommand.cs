using System.CommandLine;
using System.Globalization;
using GpuSpread.Active;
using GpuSpread.IO;
using Spectre.Console;

namespace GpuSpread.Runner;

/// <summary>
/// <c>gpuspread active</c>: active learning. Each round fits the model (the affinity graph is built once and
/// reused), picks the <c>--batch</c> most uncertain unlabeled rows (highest entropy), asks for their labels (an
/// answer key, a person at the terminal, or a file round-trip) and adds them. Writes DIR/report.json (a
/// <c>rounds</c> list with <c>round</c>, <c>n_labeled</c>, <c>accuracy</c>, <c>picked</c>), report.txt, the final
/// labels, predictions and distributions, and the figures. Other programs read report.json.
/// </summary>
public static class ActiveCommand
{
    public const string JournalFile = "journal.jsonl";
    private static readonly string[] Oracles = ["truth", "terminal", "file"];

    /// <summary>The subcommand, reading a person's answers from <paramref name="input"/> (default: the console).</summary>
    public static Command Create(TextWriter stdout, TextWriter stderr, CancellationToken cancellation, TextReader? input = null)
    {
        var data = new Option<string?>("--data") { Description = "Features: X.csv, X.csv.gz or X.npy (n rows, d columns)." };
        var labels = new Option<string?>("--labels") { Description = "Labels to start from: y.csv or y.npy; -1 = unlabeled." };
        var output = new Option<string>("--out") { Description = "Output directory (created if missing).", Required = true };
        var demo = new Option<string?>("--demo") { Description = "digits: scikit-learn's digits active-learning example (330 digits, 10 labels, 5 rounds of 5)." };
        demo.AcceptOnlyFromAmong("digits");
        var truth = new Option<string?>("--truth") { Description = "Answer key (same formats as --labels): labels for the simulation, and the accuracy in the reports." };
        var oracle = new Option<string?>("--oracle") { Description = "Where labels come from: truth (the --truth answer key; the default when given), terminal (a person; the default otherwise), file (a CSV to fill in)." };
        oracle.AcceptOnlyFromAmong(Oracles);
        var rounds = new Option<int?>("--rounds") { Description = "Rounds at most (default 5)." };
        var batch = new Option<int?>("--batch") { Description = "Rows picked per round, the most uncertain first (default 5)." };
        var imageShape = new Option<string?>("--image-shape") { Description = "Rows are images of this shape, e.g. 8x8: drawn in the terminal and in picked.png." };
        var classes = new Option<string?>("--classes") { Description = "The labels a person may give, e.g. 0-9 or 1,2,5 (default: any integer other than -1)." };
        var warmStart = new Option<bool>("--warm-start") { Description = "Start each round's iteration from the previous round's distributions (LabelPropagation only: its iterate is its distributions)." };
        var resume = new Option<bool>("--resume") { Description = "Continue the session journaled in DIR/journal.jsonl (after quit, Ctrl-C, a crash, or a filled-in batch file)." };
        var model = new Option<string?>("--model") { Description = "spreading (LabelSpreading, default) or propagation (LabelPropagation)." };
        model.AcceptOnlyFromAmong("spreading", "propagation");
        var kernel = new Option<string?>("--kernel") { Description = "Affinity: rbf (default) or knn." };
        kernel.AcceptOnlyFromAmong("rbf", "knn");
        var gamma = new Option<double?>("--gamma") { Description = "rbf kernel width (default 20; the digits demo 0.25)." };
        var neighbours = new Option<int?>("--n-neighbors") { Description = "k of the knn kernel (default 7)." };
        var knnSearch = GraphCliOptions.CreateKnnSearch();
        var alpha = new Option<double?>("--alpha") { Description = "Clamping factor of spreading, in (0, 1) (default 0.2)." };
        var maxIter = new Option<int?>("--max-iter") { Description = "Iteration limit (default 30 for spreading, 1000 for propagation; the digits demo 20)." };
        var tol = new Option<double?>("--tol") { Description = "Stop when the L1 change of F falls below this (default 1e-3)." };
        var engine = new Option<string>("--engine") { Description = "auto, cpu, gpu, gpu-sim.", DefaultValueFactory = _ => "auto" };
        engine.AcceptOnlyFromAmong(EngineSelection.Names);
        var precision = new Option<string?>("--precision") { Description = "float32 (default) or float64 (the digits demo's default: scikit-learn's numbers exactly)." };
        precision.AcceptOnlyFromAmong("float32", "float64");
        var memoryLimit = new Option<string?>("--memory-limit") { Description = "Memory the engine may use, e.g. 1GiB." };
        var noCut = new Option<bool>("--no-underflow-cut") { Description = "Keep rbf affinities beyond float64's underflow." };

        var command = new Command("active", "Active learning: fit, ask for the labels of the most uncertain rows, refit; reports and figures in --out.")
        {
            data, labels, output, demo, truth, oracle, rounds, batch, imageShape, classes, warmStart, resume,
            model, kernel, gamma, neighbours, knnSearch, alpha, maxIter, tol, engine, precision, memoryLimit, noCut,
        };
        command.SetAction(parsed =>
        {
            bool isDemo = parsed.GetValue(demo) is not null;
            var arguments = new ActiveArguments
            {
                Data = parsed.GetValue(data), Labels = parsed.GetValue(labels), Truth = parsed.GetValue(truth), Out = parsed.GetValue(output)!,
                Demo = parsed.GetValue(demo), Oracle = parsed.GetValue(oracle), Rounds = parsed.GetValue(rounds), Batch = parsed.GetValue(batch),
                ImageShape = parsed.GetValue(imageShape), Classes = parsed.GetValue(classes), WarmStart = parsed.GetValue(warmStart),
                Resume = parsed.GetValue(resume), Engine = parsed.GetValue(engine)!, MemoryLimit = parsed.GetValue(memoryLimit),
                Model = parsed.GetValue(model), Kernel = parsed.GetValue(kernel), Gamma = parsed.GetValue(gamma) ?? (isDemo ? DigitsDemo.Gamma : null),
                NNeighbors = parsed.GetValue(neighbours), KnnSearch = parsed.GetValue(knnSearch)!, Alpha = parsed.GetValue(alpha), MaxIter = parsed.GetValue(maxIter) ?? (isDemo ? DigitsDemo.MaxIter : null),
                Tol = parsed.GetValue(tol), Precision = parsed.GetValue(precision) ?? (isDemo ? "float64" : null), NoUnderflowCut = parsed.GetValue(noCut),
            };
            return Run(arguments, stdout, stderr, input ?? Console.In, cancellation);
        });
        return command;
    }

    /// <summary>Parses and runs <c>gpuspread active ARGS</c> (without the word "active"), as <see cref="Cli.Run"/> does.</summary>
    public static int Invoke(string[] args, TextWriter stdout, TextWriter stderr, TextReader input, CancellationToken cancellation = default)
    {
        var parsed = Create(stdout, stderr, cancellation, input).Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) stderr.WriteLine($"gpuspread: {error.Message}");
            return ExitCodes.BadInput;
        }
        return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
    }

    public static int Run(ActiveArguments arguments, TextWriter stdout, TextWriter stderr, TextReader input, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        string journalPath = Path.Combine(arguments.Out, JournalFile);
        bool journaling = false;
        try
        {
            var session = Prepare(arguments);
            journaling = session.Oracle != "truth";
            Directory.CreateDirectory(arguments.Out);
            if (session.Indices is { } indices)
                AtomicFile.WriteText(Path.Combine(arguments.Out, "demo_subset.csv"), w =>
                {
                    w.Write("subset_row,digits_row\n");
                    for (int i = 0; i < indices.Length; i++) w.Write(string.Create(CultureInfo.InvariantCulture, $"{i},{indices[i]}\n"));
                });

            using var engine = GraphSpread.CreateEngine(arguments.Engine, graph: false, session.Options, stderr);
            using var learner = new ActiveLearner(engine, session.Features, session.Labels, session.Options, session.Active, session.Truth);
            var fingerprint = Fingerprint(session);
            IReadOnlyList<JournalRound> replay = [];
            ActiveJournal? journal = null;
            if (journaling)
            {
                if (arguments.Resume)
                {
                    var contents = ActiveJournal.Read(journalPath);
                    var differences = ActiveJournal.Compare(contents.Fingerprint, fingerprint);
                    if (differences.Count > 0)
                        throw new InputDataException($"{journalPath}: the journal belongs to another session; resume with the same data, labels and settings " +
                            $"(or choose another --out). Differences: {string.Join("; ", differences)}");
                    if (contents.IncompleteLastLine)
                        stderr.WriteLine($"gpuspread: warning: {journalPath}: its last line was cut short (the program stopped while writing it) and is ignored; that answer had not been confirmed.");
                    replay = contents.Rounds;
                    stderr.WriteLine($"gpuspread: resuming from {journalPath}: {contents.Rounds.Count} rounds, {contents.AnswerCount} answers.");
                    journal = ActiveJournal.Append(journalPath, contents);
                }
                else
                {
                    // A journal without answers (a first run that stopped before any) may be started over.
                    bool exists = File.Exists(journalPath);
                    if (exists && ActiveJournal.Read(journalPath).AnswerCount > 0)
                        throw new InputDataException($"{journalPath} already holds a session; run with --resume to continue it, or choose another --out");
                    if (!exists && Directory.EnumerateFiles(arguments.Out, "batch-*.csv").FirstOrDefault() is { } stale)
                        throw new InputDataException($"{stale} is a batch file of an earlier session, whose journal is missing; choose another --out");
                    journal = ActiveJournal.Create(journalPath, fingerprint);
                }
            }
            else if (arguments.Resume)
                throw new InvalidParameterException("resume", true, "used with --oracle terminal or file: the answer-key simulation keeps no journal");

            using (journal)
                return RunSession(session, arguments, engine, learner, journal, replay, stdout, stderr, input, cancellation);
        }
        catch (Exception error) when (error is InputDataException or InvalidParameterException)
        {
            stderr.WriteLine($"gpuspread: error: {error.Message}");
            return ExitCodes.BadInput;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine(journaling && File.Exists(journalPath)
                ? $"gpuspread: cancelled; every answer given is in {journalPath}: run the same command with --resume to go on."
                : "gpuspread: cancelled.");
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

    private static int RunSession(Session session, ActiveArguments arguments, IDiffusionEngine engine, ActiveLearner learner, ActiveJournal? journal,
        IReadOnlyList<JournalRound> replay, TextWriter stdout, TextWriter stderr, TextReader input, CancellationToken cancellation)
    {
        ILabelOracle oracle = session.Oracle switch
        {
            "truth" => new AnswerKeyOracle(session.Truth!),
            "file" => new FileRoundTripOracle(arguments.Out, session.Allowed),
            _ => new TerminalOracle(TerminalConsole(stdout), input, session.Features, session.ImageShape, session.Allowed),
        };

        var settings = Settings(session, arguments, engine);
        string reportPath = Path.Combine(arguments.Out, "report.json");
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
                if (round.GraphSeconds > 0 && learner.KnnSearchReport is { } search)
                {
                    GraphSpread.ReportKnnSearch(stderr, search);
                    settings["knn_search"] = search.Method == KnnSearchMethod.Approximate ? "approximate" : "exact";
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
                ActiveReport.WriteJson(reportPath, completed, null, null, session.Truth, settings);
            },
            Warning = message => stderr.WriteLine($"gpuspread: warning: {message}"),
        };

        var result = learner.Run(oracle, journal, replay, events, progress, cancellation);
        progress.Dispose();

        var final = result.Final;
        ActiveReport.WriteJson(reportPath, result.Rounds, final, result.Stop, session.Truth, settings);
        AtomicFile.WriteText(Path.Combine(arguments.Out, "report.txt"), w =>
        {
            foreach (string text in texts) w.Write(text + "\n");
            w.Write(FinalText(final, result));
        });
        ResultWriter.WritePredictions(Path.Combine(arguments.Out, "labels.csv"), final.Labels);
        ResultWriter.WritePredictions(Path.Combine(arguments.Out, "predictions.csv"), final.Predictions);
        ResultWriter.WriteDistributions(Path.Combine(arguments.Out, "distributions.csv"), final.Classes, final.Distributions, final.Classes.Length);
        stdout.Write(FinalText(final, result));
        var figures = WriteFigures(session, arguments.Out, result, stderr);

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

    private static List<string> WriteFigures(Session session, string directory, ActiveLearningResult result, TextWriter stderr)
    {
        var written = new List<string>();
        try
        {
            if (session.ImageShape is { } shape && result.Rounds.Any(r => r.Picked.Count > 0))
            {
                ActiveFigures.WritePickedGrid(Path.Combine(directory, ActiveFigures.PickedFile), result.Rounds, session.Features, shape, session.Truth);
                written.Add(ActiveFigures.PickedFile);
            }
            if (result.Rounds.Any(r => r.Accuracy is not null))
            {
                string title = session.Indices is not null ? "Digits active learning: LabelSpreading, most uncertain rows labeled" : "Active learning";
                ActiveFigures.WriteLearningCurve(Path.Combine(directory, ActiveFigures.LearningCurveFile), result.Rounds, result.Final, title);
                written.Add(ActiveFigures.LearningCurveFile);
            }
        }
        catch (Exception error) when (error is DllNotFoundException or TypeInitializationException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"gpuspread: warning: the figures were not written: {error.Message}");
        }
        return written;
    }

    /// <summary>The arguments resolved and checked, the data read.</summary>
    private sealed record Session(FeatureMatrix Features, long[] Labels, long[]? Truth, int[]? Indices, DiffusionOptions Options,
        ActiveLearningOptions Active, string Oracle, (int Rows, int Cols)? ImageShape, IReadOnlySet<long>? Allowed, string Source);

    private static Session Prepare(ActiveArguments a)
    {
        FeatureMatrix features;
        long[] labels;
        long[]? truth = null;
        int[]? indices = null;
        (int Rows, int Cols)? shape = null;
        string source;
        if (a.Demo is not null)
        {
            foreach (var (given, name) in new[] { (a.Data, "--data"), (a.Labels, "--labels"), (a.Truth, "--truth") })
                if (given is not null) throw new InvalidParameterException(name.TrimStart('-'), given, $"left out with --demo {a.Demo}, which brings its own data");
            (features, labels, truth, indices) = DigitsDemo.Load();
            shape = (DigitsDemo.ImageSide, DigitsDemo.ImageSide);
            source = "demo digits";
        }
        else
        {
            if (a.Data is null || a.Labels is null)
                throw new InvalidParameterException(a.Data is null ? "data" : "labels", null, "given (--data X --labels y), or use --demo digits");
            features = FeatureReader.Read(a.Data);
            labels = Array.ConvertAll(LabelReader.Read(a.Labels), l => (long)l);
            if (labels.Length != features.Rows)
                throw new InputDataException($"{a.Labels}: {labels.Length} labels for {features.Rows} feature rows in {a.Data}; there must be one label per row");
            if (a.Truth is not null)
            {
                truth = Array.ConvertAll(LabelReader.Read(a.Truth), l => (long)l);
                if (truth.Length != features.Rows)
                    throw new InputDataException($"{a.Truth}: {truth.Length} labels for {features.Rows} feature rows in {a.Data}; the answer key needs one label per row");
            }
            source = Path.GetFullPath(a.Data);
        }
        if (a.ImageShape is not null)
        {
            if (a.Demo is not null) throw new InvalidParameterException("image-shape", a.ImageShape, $"left out with --demo {a.Demo} (its images are 8x8)");
            shape = ParseShape(a.ImageShape, features.Cols);
        }

        string oracle = a.Oracle ?? (truth is not null ? "truth" : "terminal");
        if (oracle == "truth" && truth is null)
            throw new InvalidParameterException("oracle", "truth", "'terminal' or 'file' without an answer key (--truth y_true.csv)");

        bool spreading = (a.Model ?? "spreading") == "spreading";
        long? limit = null;
        if (a.MemoryLimit is { } limitText)
        {
            if (!Cli.TryParseBytes(limitText, out long bytes))
                throw new InvalidParameterException("memory-limit", limitText, "a size such as 1GiB, 512MiB or a number of bytes");
            limit = bytes;
        }
        var options = (spreading ? DiffusionOptions.Spreading() : DiffusionOptions.Propagation()) with
        {
            Kernel = a.Kernel == "knn" ? AffinityKernel.Knn : AffinityKernel.Rbf,
            KnnSearch = a.KnnSearch switch { "exact" => KnnSearchMethod.Exact, "approximate" => KnnSearchMethod.Approximate, _ => KnnSearchMethod.Auto },
            Precision = a.Precision == "float64" ? Precision.Float64 : Precision.Float32,
            MemoryLimitBytes = limit,
            Float64UnderflowCut = !a.NoUnderflowCut,
        };
        if (a.Gamma is { } gamma) options = options with { Gamma = gamma };
        if (a.NNeighbors is { } k) options = options with { NNeighbors = k };
        if (a.Alpha is { } alpha) options = options with { Alpha = alpha };
        if (a.MaxIter is { } maxIter) options = options with { MaxIter = maxIter };
        if (a.Tol is { } tol) options = options with { Tol = tol };
        options.Validate(features.Rows);

        var active = new ActiveLearningOptions
        {
            Rounds = a.Rounds ?? (a.Demo is not null ? DigitsDemo.Rounds : 5),
            Batch = a.Batch ?? (a.Demo is not null ? DigitsDemo.Batch : 5),
            WarmStart = a.WarmStart,
        };
        active.Validate();
        var allowed = a.Classes is null ? null : ParseClasses(a.Classes);
        return new Session(features, labels, truth, indices, options, active, oracle, shape, allowed, source);
    }

    /// <summary>"8x8" (rows x columns), which must multiply to the number of features.</summary>
    public static (int Rows, int Cols) ParseShape(string text, int features)
    {
        var parts = text.ToLowerInvariant().Split('x');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int rows) || rows < 1
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int cols) || cols < 1)
            throw new InvalidParameterException("image-shape", text, "ROWSxCOLUMNS with positive integers, e.g. 8x8 or 28x28");
        if ((long)rows * cols != features)
            throw new InvalidParameterException("image-shape", text, $"a shape of {features} pixels, the number of features per row (rows x columns = {features})");
        return (rows, cols);
    }

    /// <summary>"0-9", "1,2,5" or a mix: the labels a person may give.</summary>
    public static IReadOnlySet<long> ParseClasses(string text)
    {
        var result = new SortedSet<long>();
        foreach (string item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int dash = item.IndexOf('-', 1);
            if (dash > 0
                && long.TryParse(item[..dash], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long from)
                && long.TryParse(item[(dash + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long to)
                && from <= to && to - from < 100_000)
            {
                for (long v = from; v <= to; v++) result.Add(v);
                continue;
            }
            if (!long.TryParse(item, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
                throw new InvalidParameterException("classes", text, "integers and ranges separated by commas, e.g. 0-9 or 1,2,5");
            result.Add(value);
        }
        if (result.Remove(LabelEncoding.Unlabeled))
            throw new InvalidParameterException("classes", text, "class labels other than -1 (which means unlabeled)");
        if (result.Count == 0) throw new InvalidParameterException("classes", text, "at least one class label, e.g. 0-9");
        return result;
    }

    /// <summary>What a journal must match to be resumed: the data, the starting labels, and every setting that changes the picks.</summary>
    private static Dictionary<string, string> Fingerprint(Session s)
    {
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var o = s.Options;
        var fingerprint = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["n"] = s.Features.Rows.ToString(CultureInfo.InvariantCulture),
            ["d"] = s.Features.Cols.ToString(CultureInfo.InvariantCulture),
            ["features_sha256"] = ActiveJournal.Hash(s.Features),
            ["labels_sha256"] = ActiveJournal.Hash(s.Labels),
            ["model"] = o.Model == DiffusionModel.Spreading ? "spreading" : "propagation",
            ["kernel"] = o.Kernel == AffinityKernel.Rbf ? "rbf" : "knn",
            ["gamma"] = F(o.Gamma),
            ["n_neighbors"] = o.NNeighbors.ToString(CultureInfo.InvariantCulture),
            ["alpha"] = F(o.Alpha),
            ["max_iter"] = o.MaxIter.ToString(CultureInfo.InvariantCulture),
            ["tol"] = F(o.Tol),
            ["precision"] = o.Precision == Precision.Float32 ? "float32" : "float64",
            ["underflow_cut"] = o.Float64UnderflowCut ? "true" : "false",
            ["batch"] = s.Active.Batch.ToString(CultureInfo.InvariantCulture),
            ["warm_start"] = s.Active.WarmStart ? "true" : "false",
        };
        // Only a search other than auto is recorded: journals written before --knn-search existed resume as before.
        if (o.Kernel == AffinityKernel.Knn && o.KnnSearch != KnnSearchMethod.Auto)
            fingerprint["knn_search"] = o.KnnSearch == KnnSearchMethod.Exact ? "exact" : "approximate";
        return fingerprint;
    }

    private static Dictionary<string, object?> Settings(Session s, ActiveArguments a, IDiffusionEngine engine)
    {
        var o = s.Options;
        var settings = new Dictionary<string, object?>
        {
            ["data"] = s.Source,
            ["n"] = s.Features.Rows,
            ["d"] = s.Features.Cols,
            ["n_labeled_start"] = s.Labels.Count(l => l != LabelEncoding.Unlabeled),
            ["oracle"] = s.Oracle,
            ["rounds"] = s.Active.Rounds,
            ["batch"] = s.Active.Batch,
            ["warm_start"] = s.Active.WarmStart,
            ["model"] = o.Model == DiffusionModel.Spreading ? "spreading" : "propagation",
            ["kernel"] = o.Kernel == AffinityKernel.Rbf ? "rbf" : "knn",
            ["gamma"] = o.Gamma,
            ["n_neighbors"] = o.NNeighbors,
            ["knn_search"] = o.Kernel == AffinityKernel.Knn ? a.KnnSearch : null,
            ["alpha"] = o.Model == DiffusionModel.Spreading ? o.Alpha : null,
            ["max_iter"] = o.MaxIter,
            ["tol"] = o.Tol,
            ["precision"] = o.Precision == Precision.Float32 ? "float32" : "float64",
            ["underflow_cut"] = o.Float64UnderflowCut,
            ["engine"] = engine.Description.Name,
            ["device"] = engine.Description.Device,
            ["entropy"] = "natural log; null for a row no label reached (scipy gives NaN), ranked above every other",
        };
        if (a.Demo is not null) settings["demo"] = a.Demo;
        if (s.ImageShape is { } shape) settings["image_shape"] = $"{shape.Rows}x{shape.Cols}";
        return settings;
    }
}

/// <summary>The options of <c>gpuspread active</c> as given (null: not given).</summary>
public sealed record ActiveArguments
{
    public string? Data { get; init; }
    public string? Labels { get; init; }
    public string? Truth { get; init; }
    public required string Out { get; init; }
    public string? Demo { get; init; }
    public string? Oracle { get; init; }
    public int? Rounds { get; init; }
    public int? Batch { get; init; }
    public string? ImageShape { get; init; }
    public string? Classes { get; init; }
    public bool WarmStart { get; init; }
    public bool Resume { get; init; }
    public string Engine { get; init; } = "auto";
    public string? MemoryLimit { get; init; }
    public string? Model { get; init; }
    public string? Kernel { get; init; }
    public double? Gamma { get; init; }
    public int? NNeighbors { get; init; }
    public string KnnSearch { get; init; } = "auto";
    public double? Alpha { get; init; }
    public int? MaxIter { get; init; }
    public double? Tol { get; init; }
    public string? Precision { get; init; }
    public bool NoUnderflowCut { get; init; }
}
