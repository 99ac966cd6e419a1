namespace GpuSpread.SelfTraining;

/// <summary>How the confidence a row needs to be adopted is set.</summary>
public enum ThresholdRule
{
    /// <summary>One threshold tau for every class (classic self-training / pseudo-labeling).</summary>
    Fixed,

    /// <summary>
    /// FlexMatch's class-adaptive thresholds (Zhang et al., "FlexMatch: Boosting Semi-Supervised Learning with
    /// Curriculum Pseudo Labeling", NeurIPS 2021, eqs. 6, 7 and 11 with the convex mapping of section 3.3):
    /// <c>sigma_c</c> = unlabeled rows predicted as c with confidence above tau;
    /// <c>beta_c = sigma_c / max(max_c' sigma_c', N - sum_c' sigma_c')</c> (the warm-up: N - sum sigma are the unused
    /// rows, those not yet predicted above tau; without the warm-up the denominator is max sigma);
    /// <c>T_c = M(beta_c) tau</c> with <c>M(x) = x / (2 - x)</c>.
    /// </summary>
    FlexMatch,
}

/// <summary>The loop's own parameters (the model's are a <see cref="DiffusionOptions"/>).</summary>
public sealed record SelfTrainingOptions
{
    /// <summary>How the threshold a row needs is set: one fixed tau (the default) or FlexMatch's class-adaptive thresholds.</summary>
    public ThresholdRule Rule { get; init; } = ThresholdRule.Fixed;

    /// <summary>tau: the fixed threshold, or FlexMatch's upper threshold.</summary>
    public double Threshold { get; init; } = 0.95;

    /// <summary>Refits after the first: the loop also stops when a round adopts nothing new.</summary>
    public int MaxRounds { get; init; } = 10;

    /// <summary>FlexMatch's threshold warm-up (the unused rows in beta's denominator).</summary>
    public bool WarmUp { get; init; } = true;

    /// <summary>
    /// False (default): a pseudo-label, once adopted, is kept to the end (scikit-learn's SelfTrainingClassifier).
    /// True: every round re-decides all pseudo-labels from the latest fit, as FlexMatch does at every step, so one
    /// whose confidence falls below its class's threshold is dropped and one whose class changes is relabeled.
    /// </summary>
    public bool Revise { get; init; }

    /// <summary>Checks every parameter.</summary>
    /// <exception cref="InvalidParameterException">naming the parameter, its value and what is allowed.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Rule)) throw new InvalidParameterException("rule", Rule.ToString(), "'fixed' or 'flexmatch'");
        if (!(Threshold > 0 && Threshold <= 1)) throw new InvalidParameterException("threshold", Threshold, "a float in the range (0, 1]");
        if (MaxRounds < 1) throw new InvalidParameterException("max_rounds", MaxRounds, "an int in the range [1, inf)");
    }
}

/// <summary>One round: the thresholds computed from the previous fit, what was adopted, and the refit.</summary>
/// <param name="Round">1-based; round 0 is the fit on the true labels alone.</param>
/// <param name="Thresholds">Per class (in class-index order), the confidence a row needed.</param>
/// <param name="Adopted">Rows newly pseudo-labeled this round.</param>
/// <param name="Dropped">Pseudo-labels removed this round (only when revising).</param>
/// <param name="Relabeled">Pseudo-labels whose class changed this round (only when revising).</param>
/// <param name="PseudoLabeled">Rows pseudo-labeled after the round.</param>
/// <param name="AdoptedAccuracy">With an answer key: the fraction of this round's new pseudo-labels that are right (null when none).</param>
/// <param name="PseudoAccuracy">With an answer key: the fraction of all current pseudo-labels that are right.</param>
/// <param name="Accuracy">With an answer key: the refit's accuracy on the rows without a true label.</param>
/// <param name="NIter">The refit's n_iter.</param>
/// <param name="Converged">Whether the refit converged.</param>
/// <param name="Seconds">The round's seconds (thresholds, adoption and refit).</param>
public sealed record SelfTrainingRound(int Round, double[] Thresholds, int Adopted, int Dropped, int Relabeled, int PseudoLabeled,
    double? AdoptedAccuracy, double? PseudoAccuracy, double? Accuracy, int NIter, bool Converged, double Seconds);

/// <summary>Why the loop ended.</summary>
public enum SelfTrainingStop
{
    /// <summary>A round adopted no new row: the next would repeat it.</summary>
    NothingAdopted,

    /// <summary>Every row holds a true label or a pseudo-label.</summary>
    NoUnlabeledLeft,

    /// <summary><see cref="SelfTrainingOptions.MaxRounds"/> refits were run.</summary>
    MaxRounds,
}

/// <summary>The outcome, pseudo-labels kept apart from the true labels.</summary>
/// <param name="Classes">The classes (sorted labels) that the class indices below refer to.</param>
/// <param name="PseudoLabels">Per row, the class index of its pseudo-label, or -1 (true labels are not repeated here).</param>
/// <param name="AdoptionRound">Per row, the round its current pseudo-label was adopted in, or 0.</param>
/// <param name="AdoptionConfidence">Per row, its top probability when adopted (0 when not pseudo-labeled).</param>
/// <param name="Initial">The fit on the true labels alone.</param>
/// <param name="Final">The last fit (true and pseudo-labels).</param>
/// <param name="Predictions">The last fit's label per row (its transduction).</param>
/// <param name="InitialAccuracy">With an answer key: the initial fit's accuracy on the rows without a true label.</param>
public sealed record SelfTrainingResult(long[] Classes, int[] PseudoLabels, int[] AdoptionRound, double[] AdoptionConfidence, DiffusionResult Initial,
    DiffusionResult Final, long[] Predictions, AccuracyScore? InitialAccuracy, IReadOnlyList<SelfTrainingRound> Rounds, SelfTrainingStop Stop)
{
    /// <summary>Rows that hold a pseudo-label at the end.</summary>
    public int PseudoLabeledCount => PseudoLabels.Count(p => p >= 0);
}

/// <summary>
/// Self-training over a graph built once: from an estimator fitted on the true labels, adopt as pseudo-labels the rows
/// without a true label whose top probability reaches their predicted class's threshold (and is not zero), refit with
/// them as labels (<see cref="LabelDiffusion.Refit(ReadOnlySpan{long}, ReadOnlySpan{double}, IProgress{StageProgress}?, CancellationToken)"/>: the same graph), repeat.
/// </summary>
public static class SelfTrainer
{
    /// <param name="estimator">Fitted on the true labels; it is refitted every round and holds the last fit at the end.</param>
    /// <param name="truth">Optional answer key (labels, -1 where unknown) for the per-round accuracies.</param>
    public static SelfTrainingResult Run(LabelDiffusion estimator, SelfTrainingOptions selfTraining, IReadOnlyList<long>? truth = null,
        Action<SelfTrainingRound>? roundDone = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        ArgumentNullException.ThrowIfNull(selfTraining);
        selfTraining.Validate();
        var initial = estimator.Result;
        var classes = estimator.Classes;
        int[] labels = estimator.ClassIndex;
        int n = labels.Length;
        if (truth is not null && truth.Count != n) throw new ArgumentException($"expected {n} answers, got {truth.Count}", nameof(truth));
        long[] trueLabels = Array.ConvertAll(labels, l => l < 0 ? LabelEncoding.Unlabeled : classes[l]);
        bool[] unlabeled = labels.Select(l => l < 0).ToArray();
        var pseudo = Enumerable.Repeat(-1, n).ToArray();
        var round = new int[n];
        var confidence = new double[n];

        AccuracyScore? initialAccuracy = truth is null ? null : AnswerKey.OnUnlabeled(estimator.Transduction, trueLabels, truth);
        var current = initial;
        var rounds = new List<SelfTrainingRound>();
        var stop = SelfTrainingStop.MaxRounds;
        for (int r = 1; r <= selfTraining.MaxRounds; r++)
        {
            cancellation.ThrowIfCancellationRequested();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (top, best) = TopClasses(current.Distributions, n, classes.Length);
            double[] thresholds = Thresholds(selfTraining, top, best, unlabeled, classes.Length);
            int adopted = 0, dropped = 0, relabeled = 0, adoptedRight = 0, adoptedKnown = 0, candidates = 0;
            for (int i = 0; i < n; i++)
            {
                if (!unlabeled[i]) continue;
                bool confident = top[i] > 0 && top[i] >= thresholds[best[i]];
                if (pseudo[i] >= 0 && !selfTraining.Revise) continue;
                candidates++;
                if (pseudo[i] >= 0)
                {
                    if (!confident)
                    {
                        pseudo[i] = -1;
                        round[i] = 0;
                        confidence[i] = 0;
                        dropped++;
                    }
                    else if (best[i] != pseudo[i])
                    {
                        pseudo[i] = best[i];
                        round[i] = r;
                        confidence[i] = top[i];
                        relabeled++;
                    }
                    continue;
                }
                if (!confident) continue;
                pseudo[i] = best[i];
                round[i] = r;
                confidence[i] = top[i];
                adopted++;
                if (truth is not null && truth[i] != LabelEncoding.Unlabeled)
                {
                    adoptedKnown++;
                    if (truth[i] == classes[best[i]]) adoptedRight++;
                }
            }
            if (candidates == 0)
            {
                stop = SelfTrainingStop.NoUnlabeledLeft;
                break;
            }
            if (adopted + dropped + relabeled == 0)
            {
                stop = SelfTrainingStop.NothingAdopted;
                break;
            }
            var fitLabels = (long[])trueLabels.Clone();
            for (int i = 0; i < n; i++) if (pseudo[i] >= 0) fitLabels[i] = classes[pseudo[i]];
            current = estimator.Refit(fitLabels, cancellation: cancellation).Result;
            int pseudoCount = pseudo.Count(p => p >= 0);
            double? pseudoAccuracy = null, accuracy = null, adoptedAccuracy = null;
            if (truth is not null)
            {
                int known = 0, right = 0;
                for (int i = 0; i < n; i++)
                    if (pseudo[i] >= 0 && truth[i] != LabelEncoding.Unlabeled)
                    {
                        known++;
                        if (truth[i] == classes[pseudo[i]]) right++;
                    }
                pseudoAccuracy = known == 0 ? null : (double)right / known;
                adoptedAccuracy = adoptedKnown == 0 ? null : (double)adoptedRight / adoptedKnown;
                accuracy = AnswerKey.OnUnlabeled(estimator.Transduction, trueLabels, truth).Accuracy;
            }
            var report = new SelfTrainingRound(r, thresholds, adopted, dropped, relabeled, pseudoCount, adoptedAccuracy, pseudoAccuracy, accuracy,
                current.NIter, current.Converged, clock.Elapsed.TotalSeconds);
            rounds.Add(report);
            roundDone?.Invoke(report);
        }
        return new SelfTrainingResult(classes, pseudo, round, confidence, initial, current, estimator.Transduction, initialAccuracy, rounds, stop);
    }

    /// <summary>Per row, the largest probability and its class (the first on ties).</summary>
    public static (double[] Top, int[] Best) TopClasses(double[] distributions, int n, int classes)
    {
        var top = new double[n];
        var best = new int[n];
        for (int i = 0; i < n; i++)
        {
            var row = distributions.AsSpan(i * classes, classes);
            int b = 0;
            for (int c = 1; c < classes; c++) if (row[c] > row[b]) b = c;
            top[i] = row[b];
            best[i] = b;
        }
        return (top, best);
    }

    /// <summary>The per-class thresholds of <paramref name="options"/>'s rule, from the rows without a true label.</summary>
    public static double[] Thresholds(SelfTrainingOptions options, double[] top, int[] best, bool[] unlabeled, int classes)
    {
        double tau = options.Threshold;
        var thresholds = new double[classes];
        if (options.Rule == ThresholdRule.Fixed)
        {
            Array.Fill(thresholds, tau);
            return thresholds;
        }
        // FlexMatch: sigma_c, the learning effect of class c; the unused rows are those not above tau.
        var sigma = new int[classes];
        int unlabeledCount = 0;
        for (int i = 0; i < top.Length; i++)
        {
            if (!unlabeled[i]) continue;
            unlabeledCount++;
            if (top[i] > tau) sigma[best[i]]++;
        }
        int unused = unlabeledCount - sigma.Sum();
        double denominator = Math.Max(sigma.Max(), options.WarmUp ? unused : 0);
        for (int c = 0; c < classes; c++)
        {
            double beta = denominator == 0 ? 0 : sigma[c] / denominator;
            thresholds[c] = beta / (2 - beta) * tau;
        }
        return thresholds;
    }
}
