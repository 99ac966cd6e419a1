using GpuSpread.Engine.Cpu;
using GpuSpread.Graphs;
using GpuSpread.SelfTraining;

namespace GpuSpread.Tests.SelfTraining;

/// <summary>The threshold rules worked out by hand, and the loop on small graphs.</summary>
public class SelfTrainingTests
{
    [Fact]
    public void FixedThresholdsAreTau()
    {
        var thresholds = SelfTrainer.Thresholds(new SelfTrainingOptions { Threshold = 0.8 }, [0.9, 0.1], [0, 1], [true, true], 3);
        Assert.Equal([0.8, 0.8, 0.8], thresholds);
    }

    [Fact]
    public void FlexMatchThresholdsFollowTheFormula()
    {
        // Six unlabeled rows, tau = 0.95: above tau, class 0 three times (0.99, 0.97, 0.99) and class 1 once (0.96);
        // 0.95 itself is not above tau. sigma = (3, 1, 0), unused = 6 - 4 = 2, denominator max(3, 2) = 3,
        // beta = (1, 1/3, 0), T = M(beta) tau with M(x) = x / (2 - x): (0.95, 0.19, 0).
        double[] top = [0.99, 0.97, 0.95, 0.96, 0.2, 0.99, 1.0];
        int[] best = [0, 0, 1, 1, 2, 0, 2];
        bool[] unlabeled = [true, true, true, true, true, true, false]; // the last row is truly labeled: not counted
        var options = new SelfTrainingOptions { Rule = ThresholdRule.FlexMatch, Threshold = 0.95 };
        var thresholds = SelfTrainer.Thresholds(options, top, best, unlabeled, 3);
        Assert.Equal(0.95, thresholds[0], 12);
        Assert.Equal(0.19, thresholds[1], 12);
        Assert.Equal(0.0, thresholds[2], 12);
    }

    [Fact]
    public void FlexMatchWarmUpNormalisesByTheUnusedRows()
    {
        // sigma = (1, 0), unused = 4: with the warm-up beta_0 = 1/4, T_0 = (0.25 / 1.75) 0.9; without it beta_0 = 1, T_0 = 0.9.
        double[] top = [0.99, 0.5, 0.6, 0.7, 0.4];
        int[] best = [0, 0, 1, 1, 0];
        bool[] unlabeled = [true, true, true, true, true];
        var warm = SelfTrainer.Thresholds(new SelfTrainingOptions { Rule = ThresholdRule.FlexMatch, Threshold = 0.9 }, top, best, unlabeled, 2);
        Assert.Equal(0.25 / 1.75 * 0.9, warm[0], 12);
        Assert.Equal(0, warm[1], 12);
        var cold = SelfTrainer.Thresholds(new SelfTrainingOptions { Rule = ThresholdRule.FlexMatch, Threshold = 0.9, WarmUp = false }, top, best, unlabeled, 2);
        Assert.Equal(0.9, cold[0], 12);
        // Nothing above tau at all: every beta is 0, so is every threshold.
        var none = SelfTrainer.Thresholds(new SelfTrainingOptions { Rule = ThresholdRule.FlexMatch, Threshold = 0.999 }, top, best, unlabeled, 2);
        Assert.Equal([0.0, 0.0], none);
    }

    /// <summary>A chain 0-1-...-9 and a chain 10-...-19, 0 and 19 labeled; node 20 isolated.</summary>
    private static (SparseGraph Graph, int[] Labels, int[] Truth) Chains()
    {
        var sources = new List<int>();
        var targets = new List<int>();
        for (int i = 0; i < 9; i++) { sources.Add(i); targets.Add(i + 1); }
        for (int i = 10; i < 19; i++) { sources.Add(i); targets.Add(i + 1); }
        sources.Add(9); targets.Add(10); // a weak link between the chains
        var weights = Enumerable.Repeat(1.0, sources.Count).ToArray();
        weights[^1] = 0.05;
        var labels = Enumerable.Repeat(-1, 21).ToArray();
        labels[0] = 0;
        labels[19] = 1;
        var truth = Enumerable.Range(0, 21).Select(i => i < 10 ? 0 : i < 20 ? 1 : -1).ToArray();
        return (SparseGraph.FromEdges(21, sources.ToArray(), targets.ToArray(), weights), labels, truth);
    }

    public static TheoryData<string, ThresholdRule, bool> LoopCases()
    {
        var data = new TheoryData<string, ThresholdRule, bool>();
        foreach (var engine in TestData.EngineNames)
        {
            data.Add(engine, ThresholdRule.Fixed, false);
            data.Add(engine, ThresholdRule.FlexMatch, false);
            data.Add(engine, ThresholdRule.FlexMatch, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(LoopCases))]
    public void TheLoopAdoptsRefitsAndKeepsPseudoLabelsApart(string engineName, ThresholdRule rule, bool revise)
    {
        var (graph, labels, truth) = Chains();
        var options = DiffusionOptions.Spreading() with { Alpha = 0.9, MaxIter = 2000, Tol = 1e-9 };
        using var engine = TestData.CreateEngine(engineName);
        using var estimator = new LabelDiffusion(engine, options).Fit(graph, Labels(labels));
        var selfTraining = new SelfTrainingOptions { Rule = rule, Threshold = 0.9, MaxRounds = 20, Revise = revise };
        var rounds = new List<SelfTrainingRound>();
        var result = SelfTrainer.Run(estimator, selfTraining, Labels(truth), rounds.Add);

        Assert.Equal(rounds, result.Rounds);
        Assert.NotEmpty(result.Rounds);
        Assert.Equal(-1, result.PseudoLabels[0]); // a true label is never a pseudo-label
        Assert.Equal(-1, result.PseudoLabels[19]);
        Assert.Equal(-1, result.PseudoLabels[20]); // the isolated node: all zero, never confident
        Assert.Equal(0, result.AdoptionRound[20]);
        for (int i = 0; i < 21; i++)
        {
            if (result.PseudoLabels[i] < 0) continue;
            Assert.Equal(truth[i], result.PseudoLabels[i]); // the chains are easy: every pseudo-label is right
            Assert.InRange(result.AdoptionRound[i], 1, result.Rounds.Count);
            Assert.True(result.AdoptionConfidence[i] >= result.Rounds[result.AdoptionRound[i] - 1].Thresholds[result.PseudoLabels[i]]);
        }
        Assert.All(result.Rounds, r => Assert.Equal(1.0, r.PseudoAccuracy));
        Assert.Equal(result.PseudoLabeledCount, result.Rounds[^1].PseudoLabeled);
        if (!revise) Assert.Equal(result.PseudoLabeledCount, result.Rounds.Sum(r => r.Adopted));
        Assert.Equal(SelfTrainingStop.NothingAdopted, result.Stop);

        // The final fit is the fit on the true and pseudo-labels together, and the estimator holds it.
        var combined = (int[])labels.Clone();
        for (int i = 0; i < 21; i++) if (result.PseudoLabels[i] >= 0) combined[i] = result.PseudoLabels[i];
        using var refit = new LabelDiffusion(engine, options).Fit(graph, Labels(combined));
        Assert.Equal(refit.Result.Distributions, result.Final.Distributions);
        Assert.Equal(refit.Transduction, result.Predictions);
        Assert.Equal(result.Final, estimator.Result);
    }

    private static long[] Labels(int[] labels) => Array.ConvertAll(labels, l => (long)l);

    [Fact]
    public void AFixedThresholdAdoptsOnlyConfidentRows()
    {
        var (graph, labels, truth) = Chains();
        var options = DiffusionOptions.Spreading() with { Alpha = 0.9, MaxIter = 2000, Tol = 1e-9 };
        using var engine = new CpuEngine();
        using var estimator = new LabelDiffusion(engine, options).Fit(graph, Labels(labels));
        var initial = estimator.Result;
        var (top, _) = SelfTrainer.TopClasses(initial.Distributions, 21, 2);
        var result = SelfTrainer.Run(estimator, new SelfTrainingOptions { Threshold = 0.97, MaxRounds = 1 }, Labels(truth));
        int expected = Enumerable.Range(0, 21).Count(i => labels[i] < 0 && top[i] >= 0.97);
        Assert.Equal(expected, result.Rounds[0].Adopted);
        Assert.Equal(SelfTrainingStop.MaxRounds, result.Stop);
        Assert.Equal(initial.Distributions, result.Initial.Distributions);
    }

    [Fact]
    public void BadOptionsAreRejectedByName()
    {
        Assert.Equal("threshold", Assert.Throws<InvalidParameterException>(() => new SelfTrainingOptions { Threshold = 0 }.Validate()).Parameter);
        Assert.Equal("threshold", Assert.Throws<InvalidParameterException>(() => new SelfTrainingOptions { Threshold = 1.5 }.Validate()).Parameter);
        Assert.Equal("max_rounds", Assert.Throws<InvalidParameterException>(() => new SelfTrainingOptions { MaxRounds = 0 }.Validate()).Parameter);
    }
}
