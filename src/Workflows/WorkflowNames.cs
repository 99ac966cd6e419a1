using GpuSpread.Active;
using GpuSpread.SelfTraining;

namespace GpuSpread;

/// <summary>The name tables of the workflows' enums (<see cref="OptionNames"/> holds the model's).</summary>
public static class WorkflowNames
{
    public static NameTable<ThresholdRule> Rule { get; } = new((ThresholdRule.Fixed, "fixed"), (ThresholdRule.FlexMatch, "flexmatch"));

    public static NameTable<SelfTrainingStop> Stop { get; } = new((SelfTrainingStop.NothingAdopted, "nothing_adopted"),
        (SelfTrainingStop.NoUnlabeledLeft, "no_unlabeled_left"), (SelfTrainingStop.MaxRounds, "max_rounds"));

    public static NameTable<PickStrategy> Strategy { get; } = new((PickStrategy.Entropy, "entropy"), (PickStrategy.Margin, "margin"),
        (PickStrategy.Random, "random"), (PickStrategy.Coverage, "coverage"), (PickStrategy.GraphCoverage, "graph-coverage"));

    public static NameTable<ActiveStop> ActiveStop { get; } = new((Active.ActiveStop.RoundsDone, "rounds_done"),
        (Active.ActiveStop.NothingLeft, "nothing_left"), (Active.ActiveStop.OracleStopped, "oracle_stopped"));
}
