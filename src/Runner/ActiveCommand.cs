using System.CommandLine;
using GpuSpread.Active;

namespace GpuSpread.Runner;

/// <summary>
/// <c>gpuspread active</c>: active learning. Each round fits the model (the graph is built once and reused), picks
/// <c>--batch</c> unlabeled rows by <c>--strategy</c> (graph-coverage unless told; entropy for the demo), asks for their
/// labels (an answer key, a person at the terminal, or a file round-trip) and adds them. Writes DIR/report.json (a <c>rounds</c> list with <c>round</c>,
/// <c>n_labeled</c>, <c>accuracy</c>, <c>picked</c>), report.txt, the final labels, predictions and distributions, and the
/// figures. Other programs read report.json. The stages: <see cref="ActiveSession"/> (the arguments and data),
/// this class (the journal), <see cref="ActiveRounds"/> (the rounds and the outputs).
/// </summary>
public static class ActiveCommand
{
    public const string JournalFile = "journal.jsonl";

    /// <summary>The subcommand, reading a person's answers from <paramref name="input"/> (default: the console).</summary>
    public static Command Create(TextWriter stdout, TextWriter stderr, CancellationToken cancellation, TextReader? input = null)
    {
        var data = new Option<string?>("--data") { Description = "Features: X.csv, X.csv.gz or X.npy (n rows, d columns)." };
        var labels = new Option<string?>("--labels") { Description = "Labels to start from: y.csv or y.npy; -1 = unlabeled." };
        var output = new Option<string>("--out") { Description = "Output directory (created if missing).", Required = true };
        var demo = new Option<string?>("--demo") { Description = "digits: scikit-learn's digits active-learning example (330 digits, 10 labels, 5 rounds of 5; gamma 0.25, max_iter 20, float64 unless given)." };
        demo.AcceptOnlyFromAmong("digits");
        var truth = new Option<string?>("--truth") { Description = "Answer key (same formats as --labels): labels for the simulation, and the accuracy in the reports." };
        var oracle = new Option<string?>("--oracle") { Description = "Where labels come from: truth (the --truth answer key; the default when given), terminal (a person; the default otherwise), file (a CSV to fill in)." };
        oracle.AcceptOnlyFromAmong(ActiveSession.Oracles);
        var rounds = new Option<int?>("--rounds") { Description = "Rounds at most (default 5)." };
        var batch = new Option<int?>("--batch") { Description = "Rows picked per round (default 5)." };
        var imageShape = new Option<string?>("--image-shape") { Description = "Rows are images of this shape, e.g. 8x8: drawn in the terminal and in picked.png." };
        var classes = new Option<string?>("--classes") { Description = "The labels a person may give, e.g. 0-9 or 1,2,5 (default: any integer other than -1)." };
        var strategy = new Option<string?>("--strategy") { Description = "How a round picks rows: graph-coverage (the default; the demo's is entropy): the rows whose neighbourhood in the graph holds the most uncertainty no label or earlier pick covers; entropy (scikit-learn's example), margin, random (the baseline), coverage (the smallest margins, skipping near-duplicates of rows already picked). A resumed session keeps its journal's." };
        strategy.AcceptOnlyFromAmong([.. WorkflowNames.Strategy.Names]);
        var seed = new Option<int?>("--seed") { Description = "Seed of the random and coverage strategies' choices (default 0)." };
        var warmStart = new Option<bool>("--warm-start") { Description = "Start each round's iteration from the previous round's distributions (LabelPropagation only: its iterate is its distributions)." };
        var resume = new Option<bool>("--resume") { Description = "Continue the session journaled in DIR/journal.jsonl (after quit, Ctrl-C, a crash, or a filled-in batch file)." };

        var command = new Command("active", "Active learning: fit, ask for the labels of the most uncertain rows, refit; reports and figures in --out.")
        {
            data, labels, output, demo, truth, oracle, rounds, batch, strategy, seed, imageShape, classes, warmStart, resume,
        };
        var modelOptions = new ModelCliOptions();
        modelOptions.AddTo(command);
        command.SetAction(parsed =>
        {
            var arguments = new ActiveArguments
            {
                Data = parsed.GetValue(data), Labels = parsed.GetValue(labels), Truth = parsed.GetValue(truth), Out = parsed.GetValue(output)!,
                Demo = parsed.GetValue(demo), Oracle = parsed.GetValue(oracle), Rounds = parsed.GetValue(rounds), Batch = parsed.GetValue(batch),
                Strategy = parsed.GetValue(strategy), Seed = parsed.GetValue(seed),
                ImageShape = parsed.GetValue(imageShape), Classes = parsed.GetValue(classes), WarmStart = parsed.GetValue(warmStart),
                Resume = parsed.GetValue(resume), Engine = parsed.GetValue(modelOptions.Engine)!,
                Model = isDemo => modelOptions.Read(parsed, isDemo ? DigitsDemo.Defaults : null),
            };
            return Run(arguments, stdout, stderr, input ?? Console.In, cancellation);
        });
        return command;
    }

    /// <summary>Parses and runs <c>gpuspread active ARGS</c> (without the word "active"), as <see cref="Cli.Run"/> does.</summary>
    public static int Invoke(string[] args, TextWriter stdout, TextWriter stderr, TextReader input, CancellationToken cancellation = default)
    {
        stderr = new BestEffortWriter(stderr);
        var command = Create(stdout, stderr, cancellation, input);
        NumericOptions.Install(command);
        var parsed = command.Parse(args);
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
        return CommandErrors.Run(stderr, () =>
        {
            OutputDirectory.Check(arguments.Out);
            var session = ActiveSession.Prepare(arguments);
            journaling = session.Oracle != "truth";
            using var engine = EngineSelection.Create(arguments.Engine, session.Features, session.Options, stderr);
            using var output = OutputDirectory.Open(arguments.Out);
            using var learner = new ActiveLearner(engine, session.Features, session.Labels, session.Options, session.Active, session.Truth);
            var (journal, replay) = OpenJournal(session, arguments, journalPath, stderr);
            using (journal)
                return ActiveRounds.Run(session, arguments, engine, learner, journal, replay, output, stdout, stderr, input, cancellation);
        }, cancellation, () => journaling && File.Exists(journalPath)
            ? $"every answer given is in {journalPath}: run the same command with --resume to go on"
            : $"the rounds completed so far are in {Path.Combine(arguments.Out, "report.json")}");
    }

    /// <summary>The journal of a terminal or file session (created, or read and checked to resume), and the rounds to replay.</summary>
    private static (ActiveJournal? Journal, IReadOnlyList<JournalRound> Replay) OpenJournal(ActiveSession session, ActiveArguments arguments,
        string journalPath, TextWriter stderr)
    {
        if (session.Oracle == "truth")
        {
            if (arguments.Resume)
                throw new InvalidParameterException("resume", true, "used with --oracle terminal or file: the answer-key simulation keeps no journal");
            return (null, []);
        }
        var fingerprint = session.Fingerprint();
        if (arguments.Resume)
        {
            var contents = ActiveJournal.Read(journalPath);
            var differences = ActiveJournal.Compare(contents.Fingerprint, fingerprint);
            if (differences.Count > 0)
                throw new InputDataException($"{journalPath}: the journal belongs to another session; resume with the same data, labels and settings " +
                    $"(or choose another --out). Differences: {string.Join("; ", differences)}");
            if (contents.IncompleteLastLine)
                stderr.WriteLine($"gpuspread: warning: {journalPath}: its last line was cut short (the program stopped while writing it) and is ignored; that answer had not been confirmed.");
            stderr.WriteLine($"gpuspread: resuming from {journalPath}: {contents.Rounds.Count} rounds, {contents.AnswerCount} answers.");
            return (ActiveJournal.Append(journalPath, contents), contents.Rounds);
        }
        // A journal without answers (a first run that stopped before any) may be started over.
        bool exists = File.Exists(journalPath);
        if (exists && ActiveJournal.Read(journalPath).AnswerCount > 0)
            throw new InputDataException($"{journalPath} already holds a session; run with --resume to continue it, or choose another --out");
        if (!exists && Directory.EnumerateFiles(arguments.Out, "batch-*.csv").FirstOrDefault() is { } stale)
            throw new InputDataException($"{stale} is a batch file of an earlier session, whose journal is missing; choose another --out");
        return (ActiveJournal.Create(journalPath, fingerprint), []);
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
    public string? Strategy { get; init; }
    public int? Seed { get; init; }
    public string? ImageShape { get; init; }
    public string? Classes { get; init; }
    public bool WarmStart { get; init; }
    public bool Resume { get; init; }
    public string Engine { get; init; } = EngineSelection.Names[0];

    /// <summary>The model's options, given whether the digits demo runs (its defaults differ from scikit-learn's).</summary>
    public Func<bool, DiffusionOptions> Model { get; init; } = _ => DiffusionOptions.Spreading();
}
