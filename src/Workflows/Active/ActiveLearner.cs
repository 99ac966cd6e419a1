using System.Diagnostics;

namespace GpuSpread.Active;

/// <summary>The loop's own parameters (the model's are a <see cref="DiffusionOptions"/>).</summary>
public sealed record ActiveLearningOptions
{
    /// <summary>Rounds at most: each fits, picks <see cref="Batch"/> rows and asks for their labels.</summary>
    public int Rounds { get; init; } = 5;

    /// <summary>Rows picked per round, the most uncertain first.</summary>
    public int Batch { get; init; } = 5;

    /// <summary>How a round picks its rows (default: entropy, as scikit-learn's example).</summary>
    public PickStrategy Strategy { get; init; } = PickStrategy.Entropy;

    /// <summary>Fixes the random choices of <see cref="PickStrategy.Random"/> and <see cref="PickStrategy.Coverage"/>.</summary>
    public int Seed { get; init; }

    /// <summary>Start each round's iteration from the previous round's distributions instead of the labels alone.
    /// LabelPropagation only: its iterate is the row-normalised distributions, and it takes hundreds of iterations.
    /// The result is a fixed point within tol reached by another path, so it can differ from a cold fit where the
    /// iteration has not really converged.</summary>
    public bool WarmStart { get; init; }

    /// <summary>How many of the model's most probable classes are shown for a picked row.</summary>
    public int TopGuesses { get; init; } = 3;

    /// <exception cref="InvalidParameterException">naming the parameter, its value and what is allowed.</exception>
    public void Validate()
    {
        if (Rounds < 1) throw new InvalidParameterException("rounds", Rounds, "an int in the range [1, inf)");
        if (Batch < 1) throw new InvalidParameterException("batch", Batch, "an int in the range [1, inf)");
        if (TopGuesses < 1) throw new InvalidParameterException("top_guesses", TopGuesses, "an int in the range [1, inf)");
    }
}

/// <summary>One round: the fit on the labels known at its start, its quality, and the rows it picked.</summary>
/// <param name="Round">1-based.</param>
/// <param name="LabeledCount">Rows labeled when the round's model was fitted.</param>
/// <param name="UnlabeledCount">Rows not labeled then (skipped rows included).</param>
/// <param name="Accuracy">With an answer key: the fraction of the unlabeled rows (with a known answer) predicted right.</param>
/// <param name="Report">With an answer key: the classification report on those rows.</param>
/// <param name="Picked">The rows picked for labeling, most uncertain first.</param>
/// <param name="Answers">What the oracle answered for them (empty until the round is complete).</param>
/// <param name="GraphSeconds">Time spent building the affinity graph (the first round only: it is reused).</param>
/// <param name="DiffuseSeconds">Time of the fixed-point iteration.</param>
/// <param name="PickSeconds">Time to predict, score, compute entropies and pick.</param>
public sealed record RoundResult(int Round, int LabeledCount, int UnlabeledCount, long[] Classes, int NIter, bool Converged,
    double? Accuracy, ClassificationReport? Report, IReadOnlyList<PickedRow> Picked, IReadOnlyList<Answer> Answers,
    double GraphSeconds, double DiffuseSeconds, double PickSeconds)
{
    /// <summary>The round's computing time, not counting the wait for the answers.</summary>
    public double Seconds => GraphSeconds + DiffuseSeconds + PickSeconds;
}

/// <summary>Why a session ended.</summary>
public enum ActiveStop
{
    /// <summary>All rounds ran.</summary>
    RoundsDone,

    /// <summary>No row was left to ask about (every row labeled or skipped).</summary>
    NothingLeft,

    /// <summary>The oracle stopped: a person quit, or a batch file waits to be filled in. Resume from the journal.</summary>
    OracleStopped,
}

/// <summary>The model fitted on every label known at the end of the session (initial and acquired).</summary>
public sealed record FinalFit(long[] Labels, long[] Classes, double[] Distributions, long[] Predictions, int NIter, bool Converged,
    int LabeledCount, double? Accuracy, double Seconds);

/// <summary>A session's rounds, its final fit and why it ended.</summary>
public sealed record ActiveLearningResult(IReadOnlyList<RoundResult> Rounds, FinalFit Final, ActiveStop Stop);

/// <summary>Callbacks a session reports through (all optional).</summary>
public sealed class ActiveLearningEvents
{
    /// <summary>A round's model is fitted and its rows are picked; the oracle is asked next.</summary>
    public Action<RoundResult>? RoundFitted { get; init; }

    /// <summary>A round's answers are in (or the oracle stopped during it).</summary>
    public Action<RoundResult>? RoundCompleted { get; init; }

    /// <summary>Something the user should know that does not stop the session.</summary>
    public Action<string>? Warning { get; init; }
}

/// <summary>
/// Active learning by uncertainty sampling: fit, pick <see cref="ActiveLearningOptions.Batch"/> unlabeled rows by the
/// <see cref="ActiveLearningOptions.Strategy"/> (by default the highest entropy, ties to the lower index), ask an
/// <see cref="ILabelOracle"/> for their labels, add them, and refit; for <see cref="ActiveLearningOptions.Rounds"/>
/// rounds or until no row is left. The affinity graph does not depend on the labels, so it is built once, in the
/// first round, and every later round only runs the fixed-point iteration (scikit-learn rebuilds it at every fit).
/// </summary>
public sealed class ActiveLearner : IDisposable
{
    private readonly LabelDiffusion _estimator;
    private readonly IDiffusionEngine _engine;
    private readonly DiffusionOptions _options;
    private GraphPattern? _pickGraph;
    private readonly FeatureMatrix _features;
    private readonly ActiveLearningOptions _active;
    private readonly IReadOnlyList<long>? _truth;
    private readonly long[] _labels;
    private readonly HashSet<int> _skipped = [];
    private bool _graphBuilt;

    /// <param name="labels">The labels to start from, -1 for unlabeled; at least one row must be labeled.</param>
    /// <param name="truth">An answer key for the reports (not the oracle): every row's label, -1 where unknown.</param>
    public ActiveLearner(IDiffusionEngine engine, FeatureMatrix features, IReadOnlyList<long> labels, DiffusionOptions options,
        ActiveLearningOptions active, IReadOnlyList<long>? truth = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(active);
        options.Validate(features.Rows);
        active.Validate();
        _labels = [.. labels];
        LabelEncoding.Encode(_labels, features.Rows); // at least one label, one per row
        if (truth is not null && truth.Count != features.Rows)
            throw new InputDataException($"the answer key has {truth.Count} rows but the features have {features.Rows}: it must have one label per row");
        if (active.WarmStart && options.Model == DiffusionModel.Spreading)
            throw new InvalidParameterException("warm_start", true, "false with LabelSpreading: its iterate is not its distributions " +
                "(far rows hold mass like 1e-49 that normalising turns into 1), so starting from them keeps stale predictions; " +
                "spreading converges in a few iterations from the labels anyway. Warm start is for LabelPropagation, whose iterate is its distributions");
        _estimator = new LabelDiffusion(engine, options);
        _engine = engine;
        _options = options;
        _features = features;
        _active = active;
        _truth = truth;
    }

    /// <summary>The current labels: the initial ones and those acquired so far (-1: unlabeled).</summary>
    public IReadOnlyList<long> Labels => _labels;

    /// <summary>Rows the oracle skipped: they stay unlabeled and are not asked again.</summary>
    public IReadOnlyCollection<int> Skipped => _skipped;

    /// <summary>How the knn graph was searched, once the first round has built it (null before, and for rbf).</summary>
    public KnnSearchReport? KnnSearchReport => _graphBuilt ? _estimator.KnnSearchReport : null;

    /// <summary>The precision the graph was built in, once the first round has built it (see <see cref="LabelDiffusion.FitPrecision"/>).</summary>
    public Precision? FitPrecision => _graphBuilt ? _estimator.FitPrecision : null;

    /// <summary>Why the graph was built in float64 although float32 was asked for (null: it was not, or not built yet).</summary>
    public string? PrecisionEscalation => _graphBuilt ? _estimator.PrecisionEscalation : null;

    /// <summary>
    /// Runs the session. With <paramref name="replay"/> (the rounds of a journal), each journaled round keeps its
    /// journaled picks and answers and the oracle is asked only for what is missing; <paramref name="log"/> receives
    /// every new pick and answer.
    /// </summary>
    public ActiveLearningResult Run(ILabelOracle oracle, IAnswerLog? log = null, IReadOnlyList<JournalRound>? replay = null,
        ActiveLearningEvents? events = null, IProgress<StageProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(oracle);
        replay ??= [];
        int rounds = _active.Rounds;
        if (replay.Count > rounds)
        {
            events?.Warning?.Invoke($"the journal holds {replay.Count} rounds, more than the {rounds} asked for: all {replay.Count} are replayed so that no answer is lost");
            rounds = replay.Count;
        }

        var results = new List<RoundResult>();
        Fit? last = null;
        var stop = ActiveStop.RoundsDone;
        for (int round = 1; round <= rounds; round++)
        {
            cancellation.ThrowIfCancellationRequested();
            var journaled = round <= replay.Count ? replay[round - 1] : null;
            var unlabeled = new List<int>();
            var candidates = new List<int>();
            for (int i = 0; i < _labels.Length; i++)
            {
                if (_labels[i] != LabelEncoding.Unlabeled) continue;
                unlabeled.Add(i);
                if (!_skipped.Contains(i)) candidates.Add(i);
            }
            if (candidates.Count == 0 && journaled is null)
            {
                stop = ActiveStop.NothingLeft;
                break;
            }

            var fit = Diffuse(last, progress, cancellation);
            var clock = Stopwatch.StartNew();
            var (accuracy, report) = Score(fit);
            var picks = PickStrategies.Pick(_active.Strategy, fit.Distributions, fit.Classes.Length, candidates, _features,
                _active.Batch, _active.Seed, round, Labeled(),
                _active.Strategy == PickStrategy.GraphCoverage ? PickGraph(progress, cancellation) : null);
            if (journaled is not null)
            {
                if (!picks.SequenceEqual(journaled.Picked))
                    events?.Warning?.Invoke($"round {round}: this run would pick rows {string.Join(", ", picks)} but the journal picked " +
                        $"{string.Join(", ", journaled.Picked)} (another engine or precision?); the journal's picks and answers are kept");
                foreach (int row in journaled.Picked)
                    if (row >= _labels.Length || _labels[row] != LabelEncoding.Unlabeled)
                        throw new InputDataException($"the journal picks row {row} in round {round}, which is {(row >= _labels.Length ? "not in the data" : "already labeled")}: " +
                            "the journal does not belong to this data set");
                picks = journaled.Picked;
            }
            var picked = picks.Select(row => Describe(fit, row)).ToArray();
            double pickSeconds = clock.Elapsed.TotalSeconds;

            var fitted = new RoundResult(round, _labels.Length - unlabeled.Count, unlabeled.Count, fit.Classes, fit.Result.NIter,
                fit.Result.Converged, accuracy, report, picked, [], fit.GraphSeconds, fit.DiffuseSeconds, pickSeconds);
            events?.RoundFitted?.Invoke(fitted);

            var request = new LabelRequest(round, rounds, picked, fit.Classes, fitted.LabeledCount, fitted.UnlabeledCount, log);
            if (journaled is not null)
            {
                foreach (var e in journaled.Events)
                {
                    try
                    {
                        if (e.Undo) request.RestoreUndo(e.Row);
                        else request.Restore(new Answer(e.Row, e.Label));
                    }
                    catch (Exception error) when (error is ArgumentException or InvalidOperationException)
                    {
                        throw new InputDataException($"the journal's line {e.Line} does not fit round {round}: {error.Message}");
                    }
                }
            }
            else log?.Picked(round, picks);

            bool go = request.Pending.Count == 0 || oracle.Answer(request, cancellation);
            foreach (var answer in request.Answers)
            {
                if (answer.Label is { } label) _labels[answer.Row] = label;
                else _skipped.Add(answer.Row);
            }
            var completed = fitted with { Answers = [.. request.Answers] };
            results.Add(completed);
            events?.RoundCompleted?.Invoke(completed);
            last = fit;
            if (!go)
            {
                stop = ActiveStop.OracleStopped;
                break;
            }
        }

        return new ActiveLearningResult(results, FinalFit(last, results, progress, cancellation), stop);
    }

    private List<int> Labeled()
    {
        var rows = new List<int>();
        for (int i = 0; i < _labels.Length; i++)
            if (_labels[i] != LabelEncoding.Unlabeled) rows.Add(i);
        return rows;
    }

    /// <summary>
    /// The graph <see cref="PickStrategy.GraphCoverage"/> walks: the model's own where it is sparse (knn); for the rbf
    /// kernel, whose affinities are computed tile by tile, the knn graph of the same features and n_neighbors, built once.
    /// </summary>
    private GraphPattern PickGraph(IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        if (_pickGraph is not null) return _pickGraph;
        if (_estimator.GraphPattern is { } own) return _pickGraph = own;
        using var knn = _engine.BuildGraph(GraphInput.FromFeatures(_features), _options with { Kernel = AffinityKernel.Knn, Precision = _estimator.FitPrecision }, progress, cancellation);
        return _pickGraph = knn.Pattern ?? throw new InvalidOperationException($"the {_engine.Description.Name} engine's knn graph has no pattern");
    }

    /// <summary>The model on every label known now (the last round's fit when nothing was added since).</summary>
    private FinalFit FinalFit(Fit? last, List<RoundResult> results, IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        bool changed = last is null || results.Count == 0 || results[^1].Answers.Any(a => !a.Skipped);
        var fit = changed ? Diffuse(last, progress, cancellation) : last!;
        var unlabeled = Enumerable.Range(0, _labels.Length).Where(i => _labels[i] == LabelEncoding.Unlabeled).ToList();
        var (accuracy, _) = Score(fit);
        return new FinalFit([.. _labels], fit.Classes, fit.Result.Distributions, fit.Predictions, fit.Result.NIter, fit.Result.Converged,
            _labels.Length - unlabeled.Count, accuracy, changed ? fit.GraphSeconds + fit.DiffuseSeconds : 0);
    }

    private sealed record Fit(long[] Classes, DiffusionResult Result, long[] Predictions, double GraphSeconds, double DiffuseSeconds)
    {
        public double[] Distributions => Result.Distributions;
    }

    private Fit Diffuse(Fit? previous, IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        if (!_graphBuilt) _estimator.Fit(_features, _labels, progress, cancellation);
        else if (_active.WarmStart && previous is not null)
            _estimator.Refit(_labels, WarmStart(previous, LabelEncoding.Encode(_labels, _labels.Length).Classes), progress, cancellation);
        else _estimator.Refit(_labels, progress: progress, cancellation: cancellation);
        _graphBuilt = true;
        return new Fit(_estimator.Classes, _estimator.Result, _estimator.Transduction, _estimator.GraphSeconds, _estimator.DiffuseSeconds);
    }

    /// <summary>The previous distributions in this round's class columns (a class new this round starts at 0).</summary>
    private static double[] WarmStart(Fit previous, long[] classes)
    {
        int n = previous.Result.Rows, c = classes.Length, before = previous.Classes.Length;
        var start = new double[(long)n * c];
        for (int k = 0; k < before; k++)
        {
            int column = Array.BinarySearch(classes, previous.Classes[k]);
            if (column < 0) continue;
            for (int i = 0; i < n; i++) start[(long)i * c + column] = previous.Distributions[(long)i * before + k];
        }
        return start;
    }

    /// <summary>With an answer key, the fit's accuracy and classification report on the rows the answer key scores.</summary>
    private (double? Accuracy, ClassificationReport? Report) Score(Fit fit)
    {
        if (_truth is null) return (null, null);
        var truth = new List<long>();
        var predicted = new List<long>();
        for (int i = 0; i < _labels.Length; i++)
        {
            if (!AnswerKey.IsScored(_labels, _truth, i)) continue;
            truth.Add(_truth[i]);
            predicted.Add(fit.Predictions[i]);
        }
        if (truth.Count == 0) return (null, null);
        var report = ClassificationReport.Compute(truth, predicted);
        return (report.Accuracy, report);
    }

    private PickedRow Describe(Fit fit, int row)
    {
        int c = fit.Classes.Length;
        var distribution = fit.Distributions.AsSpan(row * c, c);
        return new PickedRow(row, Uncertainty.Entropy(distribution), fit.Predictions[row],
            Uncertainty.TopGuesses(distribution, fit.Classes, _active.TopGuesses));
    }

    /// <summary>Frees the estimator's graph; the engine is not disposed.</summary>
    public void Dispose() => _estimator.Dispose();
}
