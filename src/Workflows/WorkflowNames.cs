using GpuSpread.Active;
using GpuSpread.SelfTraining;

namespace GpuSpread;

/// <summary>The name tables of the workflows' enums (<see cref="OptionNames"/> holds the model's).</summary>
public static class WorkflowNames
{
    /// <summary><c>--rule</c>: fixed, flexmatch.</summary>
    public static NameTable<ThresholdRule> Rule { get; } = new((ThresholdRule.Fixed, "fixed"), (ThresholdRule.FlexMatch, "flexmatch"));

    /// <summary>summary.json's <c>stop</c> of self-training: nothing_adopted, no_unlabeled_left, max_rounds.</summary>
    public static NameTable<SelfTrainingStop> Stop { get; } = new((SelfTrainingStop.NothingAdopted, "nothing_adopted"),
        (SelfTrainingStop.NoUnlabeledLeft, "no_unlabeled_left"), (SelfTrainingStop.MaxRounds, "max_rounds"));

    /// <summary><c>--strategy</c> of active learning: entropy, margin, random, coverage.</summary>
    public static NameTable<PickStrategy> Strategy { get; } = new((PickStrategy.Entropy, "entropy"), (PickStrategy.Margin, "margin"),
        (PickStrategy.Random, "random"), (PickStrategy.Coverage, "coverage"), (PickStrategy.GraphCoverage, "graph-coverage"));

    /// <summary>Why an active-learning session ended: rounds_done, nothing_left, oracle_stopped.</summary>
    public static NameTable<ActiveStop> ActiveStop { get; } = new((Active.ActiveStop.RoundsDone, "rounds_done"),
        (Active.ActiveStop.NothingLeft, "nothing_left"), (Active.ActiveStop.OracleStopped, "oracle_stopped"));
}
