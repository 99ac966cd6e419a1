using GpuSpread.Active;

namespace GpuSpread.Tests.Active;

/// <summary>The loop itself: graph reuse, skips, undo, journal replay, stopping, warm start.</summary>
public sealed class ActiveLearnerTests
{
    /// <summary>An engine that counts the graphs it builds and the diffusions it runs.</summary>
    private sealed class CountingEngine(IDiffusionEngine inner) : IDiffusionEngine
    {
        public int Graphs { get; private set; }
        public int Diffusions { get; private set; }
        public int WarmDiffusions { get; private set; }
        public EngineDescription Description => inner.Description;
        public EngineCapabilities Capabilities => inner.Capabilities;

        public IAffinityGraph BuildGraph(GraphInput input, DiffusionOptions options, IProgress<StageProgress>? progress = null, CancellationToken cancellation = default)
        {
            Graphs++;
            return inner.BuildGraph(input, options, progress, cancellation);
        }

        public DiffusionResult Diffuse(IAffinityGraph graph, ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options,
            IProgress<StageProgress>? progress = null, CancellationToken cancellation = default, ReadOnlySpan<double> start = default)
        {
            if (start.IsEmpty) Diffusions++;
            else WarmDiffusions++;
            return inner.Diffuse(graph, classIndex, classes, options, progress, cancellation, start);
        }

        public double[] PredictProba(IAffinityGraph graph, DiffusionResult fitted, FeatureMatrix newFeatures, CancellationToken cancellation = default)
            => inner.PredictProba(graph, fitted, newFeatures, cancellation);

        public void Dispose() => inner.Dispose();
    }

    /// <summary>An oracle that answers from a script: a label, "s" (skip), "u" (undo) or "q" (stop), one per call step.</summary>
    private sealed class ScriptedOracle(long[] truth, Queue<string> script) : ILabelOracle
    {
        public bool Answer(LabelRequest request, CancellationToken cancellation)
        {
            while (request.Pending.Count > 0)
            {
                var row = request.Pending[0].Row;
                string step = script.Count > 0 ? script.Dequeue() : "t";
                switch (step)
                {
                    case "q": return false;
                    case "s": request.Skip(row); break;
                    case "u": request.Undo(); break;
                    case "t": request.Label(row, truth[row]); break;
                    default: request.Label(row, long.Parse(step, System.Globalization.CultureInfo.InvariantCulture)); break;
                }
            }
            return true;
        }
    }

    private static (FeatureMatrix Features, long[] Labels, long[] Truth) Blobs(int n = 120)
    {
        var (x, truth) = TestData.Blobs(seed: 3, n, d: 4, classes: 3, sigma: 0.4);
        var labels = Enumerable.Repeat(-1L, n).ToArray();
        for (int c = 0; c < 3; c++) labels[Array.IndexOf(truth, c)] = c;
        return (TestData.ToMatrix(x, Precision.Float64), labels, [.. truth.Select(t => (long)t)]);
    }

    private static readonly DiffusionOptions Options = DiffusionOptions.Spreading() with { Gamma = 2, Precision = Precision.Float64 };

    [Fact]
    public void TheGraphIsBuiltOnceForAllRounds()
    {
        var (features, labels, truth) = Blobs();
        using var engine = new CountingEngine(TestData.CreateEngine("cpu"));
        using var learner = new ActiveLearner(engine, features, labels, Options, new ActiveLearningOptions { Rounds = 4, Batch = 3 }, truth);
        var result = learner.Run(new AnswerKeyOracle(truth));
        Assert.Equal(4, result.Rounds.Count);
        Assert.Equal(1, engine.Graphs);
        Assert.Equal(5, engine.Diffusions); // four rounds and the final fit
        Assert.True(result.Rounds[0].GraphSeconds > 0);
        Assert.All(result.Rounds.Skip(1), r => Assert.Equal(0, r.GraphSeconds));
        Assert.Equal([3, 6, 9, 12], result.Rounds.Select(r => r.LabeledCount));
        Assert.Equal(15, result.Final.LabeledCount);
        // No row is picked twice, and every pick was unlabeled when picked.
        var picked = result.Rounds.SelectMany(r => r.Picked.Select(p => p.Row)).ToList();
        Assert.Equal(picked.Count, picked.Distinct().Count());
        Assert.All(picked, row => Assert.Equal(-1, labels[row]));
    }

    [Theory]
    [InlineData("cpu", AffinityKernel.Knn)]
    [InlineData("cpu", AffinityKernel.Rbf)]
    [InlineData("gpu-sim", AffinityKernel.Knn)]
    public void GraphCoverageWalksTheModelsKnnGraphOrOneBuiltOnceForRbf(string engineName, AffinityKernel kernel)
    {
        var (features, labels, truth) = Blobs();
        var (x, _) = TestData.Blobs(seed: 3, 120, d: 4, classes: 3, sigma: 0.4); // Blobs()'s features, for the brute-force lists
        var options = Options with { Kernel = kernel, NNeighbors = 6 };
        using var engine = new CountingEngine(TestData.CreateEngine(engineName));
        var active = new ActiveLearningOptions { Rounds = 3, Batch = 4, Strategy = PickStrategy.GraphCoverage };
        using var learner = new ActiveLearner(engine, features, labels, options, active, truth);
        var result = learner.Run(new AnswerKeyOracle(truth));
        // rbf: one more graph, the knn graph the picks walk, for all rounds.
        Assert.Equal(kernel == AffinityKernel.Knn ? 1 : 2, engine.Graphs);

        // Round 1 picks what the strategy picks on the model's fit and the brute-force knn lists of the same n_neighbors.
        using var cpu = TestData.CreateEngine("cpu");
        using var model = new LabelDiffusion(cpu, options).Fit(features, labels);
        var candidates = Enumerable.Range(0, labels.Length).Where(i => labels[i] == -1).ToArray();
        var labeled = Enumerable.Range(0, labels.Length).Where(i => labels[i] != -1).ToArray();
        var expected = PickStrategies.GraphCoverage(model.Result.Distributions, 3, candidates, labeled, Engine.GraphPatternTests.BruteForceKnn(x, 6), 4);
        Assert.Equal(expected, result.Rounds[0].Picked.Select(p => p.Row));
        var picked = result.Rounds.SelectMany(r => r.Picked.Select(p => p.Row)).ToList();
        Assert.Equal(12, picked.Distinct().Count());
    }

    [Fact]
    public void SkippedRowsAreNotAskedAgainAndUndoAsksAgain()
    {
        var (features, labels, truth) = Blobs();
        using var engine = TestData.CreateEngine("cpu");
        using var learner = new ActiveLearner(engine, features, labels, Options, new ActiveLearningOptions { Rounds = 3, Batch = 3 }, truth);
        // Round 1: skip the first row, label the second, undo that, label it 2, label the third. Then truth.
        var result = learner.Run(new ScriptedOracle(truth, new Queue<string>(["s", "t", "u", "2", "t"])));
        var first = result.Rounds[0];
        Assert.Equal([Answer.Skip(first.Picked[0].Row), new Answer(first.Picked[1].Row, 2), new Answer(first.Picked[2].Row, truth[first.Picked[2].Row])],
            first.Answers);
        Assert.Contains(first.Picked[0].Row, learner.Skipped);
        Assert.Equal(-1, learner.Labels[first.Picked[0].Row]);
        Assert.Equal(2, learner.Labels[first.Picked[1].Row]);
        Assert.DoesNotContain(result.Rounds.Skip(1).SelectMany(r => r.Picked), p => p.Row == first.Picked[0].Row);
        Assert.Equal(first.LabeledCount + 2, result.Rounds[1].LabeledCount);
    }

    [Fact]
    public void AJournalReplaysToTheSameSessionAsAnUninterruptedRun()
    {
        var (features, labels, truth) = Blobs();
        var active = new ActiveLearningOptions { Rounds = 3, Batch = 3 };
        using var engine = TestData.CreateEngine("cpu");
        ActiveLearningResult straight;
        using (var learner = new ActiveLearner(engine, features, labels, Options, active, truth))
            straight = learner.Run(new AnswerKeyOracle(truth));

        string directory = Directory.CreateTempSubdirectory("gpuspread-replay-").FullName;
        try
        {
            string path = Path.Combine(directory, "journal.jsonl");
            var fingerprint = new Dictionary<string, string> { ["test"] = "replay" };
            // First session: four answers (one undone and redone), then the person stops.
            using (var journal = ActiveJournal.Create(path, fingerprint))
            using (var learner = new ActiveLearner(engine, features, labels, Options, active, truth))
            {
                var stopped = learner.Run(new ScriptedOracle(truth, new Queue<string>(["t", "t", "u", "t", "t", "t", "q"])), journal);
                Assert.Equal(ActiveStop.OracleStopped, stopped.Stop);
                Assert.Equal(2, stopped.Rounds.Count);
            }
            var contents = ActiveJournal.Read(path);
            Assert.Equal(4, contents.AnswerCount);
            // Second session from the journal: the rest from the answer key.
            var asked = new List<int>();
            var oracle = new RecordingOracle(new AnswerKeyOracle(truth), asked);
            ActiveLearningResult resumed;
            using (var journal = ActiveJournal.Append(path, contents))
            using (var learner = new ActiveLearner(engine, features, labels, Options, active, truth))
                resumed = learner.Run(oracle, journal, contents.Rounds);
            Assert.Equal(ActiveStop.RoundsDone, resumed.Stop);
            Assert.Equal(straight.Rounds.Select(r => r.Picked.Select(p => p.Row)), resumed.Rounds.Select(r => r.Picked.Select(p => p.Row)));
            Assert.Equal(straight.Rounds.Select(r => r.Accuracy), resumed.Rounds.Select(r => r.Accuracy));
            Assert.Equal(straight.Final.Labels, resumed.Final.Labels);
            Assert.Equal(5, asked.Count); // the two rows left in round 2 and the three of round 3
            Assert.Equal(9, ActiveJournal.Read(path).AnswerCount);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private sealed class RecordingOracle(ILabelOracle inner, List<int> asked) : ILabelOracle
    {
        public bool Answer(LabelRequest request, CancellationToken cancellation)
        {
            asked.AddRange(request.Pending.Select(p => p.Row));
            return inner.Answer(request, cancellation);
        }
    }

    [Fact]
    public void StopsWhenNoRowIsLeft()
    {
        var (features, labels, truth) = Blobs(n: 12);
        using var engine = TestData.CreateEngine("cpu");
        using var learner = new ActiveLearner(engine, features, labels, Options, new ActiveLearningOptions { Rounds = 10, Batch = 4 }, truth);
        var result = learner.Run(new AnswerKeyOracle(truth));
        Assert.Equal(ActiveStop.NothingLeft, result.Stop);
        Assert.Equal(3, result.Rounds.Count); // 9 unlabeled rows: 4 + 4 + 1
        Assert.Single(result.Rounds[^1].Picked);
        Assert.DoesNotContain(-1L, result.Final.Labels);
        Assert.Null(result.Final.Accuracy); // nothing unlabeled to score
    }

    [Fact]
    public void WarmStartIsForPropagationAndReachesTheSameFixedPoint()
    {
        var (features, labels, truth) = Blobs();
        using var engine = new CountingEngine(TestData.CreateEngine("cpu"));
        var spreading = Assert.Throws<InvalidParameterException>(() =>
            new ActiveLearner(engine, features, labels, Options, new ActiveLearningOptions { WarmStart = true }, truth));
        Assert.Equal("warm_start", spreading.Parameter);

        var propagation = DiffusionOptions.Propagation() with { Gamma = 0.5, Precision = Precision.Float64, Tol = 1e-7 };
        var active = new ActiveLearningOptions { Rounds = 3, Batch = 3 };
        ActiveLearningResult cold, warm;
        using (var learner = new ActiveLearner(engine, features, labels, propagation, active, truth))
            cold = learner.Run(new AnswerKeyOracle(truth));
        using (var learner = new ActiveLearner(engine, features, labels, propagation, active with { WarmStart = true }, truth))
            warm = learner.Run(new AnswerKeyOracle(truth));
        Assert.Equal(3, engine.WarmDiffusions); // rounds 2 and 3 and the final fit
        Assert.Equal(cold.Rounds.Select(r => r.Picked.Select(p => p.Row)), warm.Rounds.Select(r => r.Picked.Select(p => p.Row)));
        // Not fewer iterations here (new labels move whole clusters, the slow mode of the iteration): same first round,
        // then another path to the same fixed point.
        Assert.Equal(cold.Rounds[0].NIter, warm.Rounds[0].NIter);
        Assert.NotEqual(cold.Rounds.Select(r => r.NIter), warm.Rounds.Select(r => r.NIter));
        for (int i = 0; i < cold.Final.Distributions.Length; i++)
            Assert.Equal(cold.Final.Distributions[i], warm.Final.Distributions[i], 1e-6);
    }

    [Fact]
    public void BadSettingsAreRejectedWithTheirNames()
    {
        var (features, labels, truth) = Blobs();
        using var engine = TestData.CreateEngine("cpu");
        Assert.Equal("batch", Assert.Throws<InvalidParameterException>(() =>
            new ActiveLearner(engine, features, labels, Options, new ActiveLearningOptions { Batch = 0 })).Parameter);
        Assert.Equal("rounds", Assert.Throws<InvalidParameterException>(() =>
            new ActiveLearner(engine, features, labels, Options, new ActiveLearningOptions { Rounds = 0 })).Parameter);
        Assert.Throws<InputDataException>(() => new ActiveLearner(engine, features, truth[..5], Options, new ActiveLearningOptions()));
        Assert.Throws<InputDataException>(() => new ActiveLearner(engine, features, Enumerable.Repeat(-1L, 120).ToArray(), Options, new ActiveLearningOptions()));
    }
}
