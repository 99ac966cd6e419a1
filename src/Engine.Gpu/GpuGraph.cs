using GpuSpread.Engine.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace GpuSpread.Engine.Gpu;

/// <summary>
/// The GPU engine's graph: an operator on the device (rbf, sparse, or a mix of two) and, for a graph of features,
/// the inductive predictor. The solvers run on it with F on the device throughout: the fixed-point loop reads back
/// one scalar per iteration, conjugate gradients one value per class and step. Disposing it frees its device buffers.
/// </summary>
internal sealed class GpuGraph(GpuEngine engine, DiffusionOptions options, GraphInputKind input, IDeviceOperator op,
    IDevicePredictor? predictor, KnnSearchReport? knnSearchReport) : IAffinityGraph
{
    public GpuEngine Engine => engine;
    public int Rows => op.Rows;
    public DiffusionOptions Options => options;
    public GraphInputKind Input => input;
    public KnnSearchReport? KnnSearchReport => knnSearchReport;
    public IDeviceOperator Operator => op;
    public GraphPattern? Pattern => (op as SparseDeviceOperator)?.Pattern;

    private DeviceMemory Memory => engine.Memory;

    public DiffusionResult Diffuse(ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options, ReadOnlySpan<double> start,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        try
        {
            if (options.Model == DiffusionModel.Poisson)
                return Poisson(classIndex.ToArray(), classes, options, progress, cancellation);
            if (options.Solver == Solver.ConjugateGradient)
                return DeviceConjugateGradient.Run(engine, op, classIndex, classes, options, progress, cancellation);
            var (initialLog, initialG) = InitialState(classIndex, classes, start);
            return Loop(initialLog, initialG, classIndex.ToArray(), classes, options, progress, cancellation);
        }
        catch (DeviceOutOfMemoryException error)
        {
            throw new GpuOutOfMemoryException($"the GPU has no room for the label state of {Rows} rows x {classes} classes ({error.Message}); use --engine cpu", error);
        }
    }

    /// <summary>The state of F on the device: per row a float64 log-scale and a float64 row (F_i = exp(l_i) G_i).</summary>
    private sealed class State : IDisposable
    {
        public State(DeviceMemory memory, int rows, int classes)
        {
            Log = memory.Allocate<double>(rows, "F's log-scales");
            try
            {
                G = memory.Allocate<double>((long)rows * classes, "F's rows");
            }
            catch
            {
                Log.Dispose();
                throw;
            }
        }

        public DeviceBuffer<double> Log { get; }
        public DeviceBuffer<double> G { get; }

        public void Dispose()
        {
            G.Dispose();
            Log.Dispose();
        }
    }

    /// <summary>F at the start: one-hot labeled rows, a warm start's rows (scaled by their largest entry), or zero rows.</summary>
    private (double[] Log, double[] G) InitialState(ReadOnlySpan<int> classIndex, int classes, ReadOnlySpan<double> start)
    {
        int n = Rows;
        var log = new double[n];
        var g = new double[(long)n * classes];
        Array.Fill(log, double.NegativeInfinity);
        for (int i = 0; i < n; i++)
        {
            if (classIndex[i] >= 0)
            {
                log[i] = 0;
                g[(long)i * classes + classIndex[i]] = 1;
            }
            else if (!start.IsEmpty && start.Slice(i * classes, classes) is var row && row.IndexOfAnyExcept(0.0) >= 0)
            {
                double max = 0;
                foreach (double value in row) max = Math.Max(max, value);
                log[i] = Math.Log(max);
                for (int k = 0; k < classes; k++) g[(long)i * classes + k] = row[k] / max;
            }
        }
        return (log, g);
    }

    /// <summary>scikit-learn's fixed-point loop (the CPU engine's FixedPointLoop.Run), F on the device throughout.</summary>
    private DiffusionResult Loop(double[] initialLog, double[] initialG, int[] labels, int classes, DiffusionOptions options,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        int n = Rows;
        var state = engine.State;
        var (start, empty) = States(initialLog, initialG, classes);
        using var first = start;
        using var second = empty;
        using var labelBuffer = Memory.Upload(labels, "the labels");
        int groups = Groups;
        using var partials = Memory.Allocate<double>(groups, "the change's partial sums");
        using var change = Memory.Allocate<double>(1, "the change");

        bool spreading = options.Model == DiffusionModel.Spreading;
        var update = new UpdateArgs
        {
            Rows = n, Classes = classes, Rule = (int)UpdateRule.None,
            LogAlpha = Math.Log(options.Alpha), LogOneMinusAlpha = Math.Log(1 - options.Alpha),
            // With scikit-learn's cut, label mass below float64's range is dropped as float64 drops it.
            SmallestLog = options.Float64UnderflowCut ? -DiffusionOptions.Float64UnderflowExponent : double.NegativeInfinity,
        };
        var reduce = Reduction(groups);
        var sum = Reduction(1);

        double Change(State current, State previous, UpdateRule rule)
        {
            state.UpdateAndChange(reduce, current.Log.View, current.G.View, previous.Log.View, previous.G.View, labelBuffer.View,
                partials.View, update with { Rule = (int)rule });
            state.SumPartials(sum, partials.View, change.View, groups);
            double value = 0;
            change.View.SubView(0, 1).CopyToCPU(ref value, 1);
            return value;
        }

        var current = first;
        var previous = second;
        double delta = Change(current, previous, UpdateRule.None);
        int iterations = 0;
        bool converged = false;
        for (; iterations < options.MaxIter; iterations++)
        {
            progress?.Report(new StageProgress("iterate", iterations, options.MaxIter, delta));
            if (delta < options.Tol)
            {
                converged = true;
                break;
            }
            cancellation.ThrowIfCancellationRequested();
            (previous, current) = (current, previous);
            op.Apply(previous.Log.View, previous.G.View, current.Log.View, current.G.View, classes, cancellation);
            delta = Change(current, previous, spreading ? UpdateRule.Spreading : UpdateRule.Propagation);
        }
        if (!converged) progress?.Report(new StageProgress("iterate", options.MaxIter, options.MaxIter, double.NaN));

        using var result = Memory.Allocate<double>((long)n * classes, "the distributions");
        state.Normalise(n, current.G.View, result.View, classes);
        return new DiffusionResult(result.Download((long)n * classes), n, classes, iterations, converged);
    }

    /// <summary>Poisson learning's loop (the CPU engine's PoissonLoop.Run), z and the walk on the device, one scalar read back per iteration.</summary>
    private DiffusionResult Poisson(int[] labels, int classes, DiffusionOptions options, IProgress<StageProgress>? progress,
        CancellationToken cancellation)
    {
        int n = Rows;
        int width = classes + 1;
        double[] mean = PoissonLearning.MeanLabel(labels, classes);
        double[] halfLogDegree = op.HalfLogDegrees();
        var log = new double[n];
        var g = new double[(long)n * width];
        Array.Fill(log, double.NegativeInfinity);
        PoissonLearning.StartWalk(labels, halfLogDegree, log, g, width, classes);

        var state = engine.State;
        var (start, empty) = States(log, g, width);
        using var first = start;
        using var second = empty;
        using var labelBuffer = Memory.Upload(labels, "the labels");
        using var degreeBuffer = Memory.Upload(halfLogDegree, "the log degrees");
        using var meanBuffer = Memory.Upload(mean, "the mean label");
        int groups = Groups;
        using var partials = Memory.Allocate<double>(groups, "the walk's partial deviations");
        using var deviationBuffer = Memory.Allocate<double>(1, "the walk's deviation");

        var args = new PoissonArgs { Rows = n, Classes = classes, LogTotalDegree = PoissonLearning.LogSumOfDegrees(halfLogDegree) };
        var reduce = Reduction(groups);
        var single = Reduction(1);
        var current = first;
        var next = second;
        double deviation = double.PositiveInfinity;
        int iterations = 0;
        while (!PoissonLearning.RuleMet(iterations, deviation, n) && iterations < options.MaxIter)
        {
            progress?.Report(new StageProgress("iterate", iterations, options.MaxIter, deviation));
            cancellation.ThrowIfCancellationRequested();
            op.Apply(current.Log.View, current.G.View, next.Log.View, next.G.View, width, cancellation);
            state.PoissonUpdate(reduce, next.Log.View, next.G.View, labelBuffer.View, degreeBuffer.View, meanBuffer.View, partials.View, args);
            state.MaxPartials(single, partials.View, deviationBuffer.View, groups);
            deviationBuffer.View.SubView(0, 1).CopyToCPU(ref deviation, 1);
            (current, next) = (next, current);
            iterations++;
        }
        bool converged = PoissonLearning.RuleMet(iterations, deviation, n);
        if (!converged) progress?.Report(new StageProgress("iterate", options.MaxIter, options.MaxIter, deviation));
        var distributions = PoissonLearning.Distributions(current.G.Download((long)n * width), n, width, classes);
        return new DiffusionResult(distributions, n, classes, iterations, converged);
    }

    /// <summary>The loops' two device states of rows of <paramref name="width"/> values: the first holding the start
    /// (<paramref name="log"/>, <paramref name="g"/>), the second empty (-inf, 0).</summary>
    private (State Start, State Empty) States(double[] log, double[] g, int width)
    {
        int n = Rows;
        State? start = null, empty = null;
        try
        {
            start = new State(Memory, n, width);
            empty = new State(Memory, n, width);
            start.Log.View.SubView(0, n).CopyFromCPU(log);
            start.G.View.SubView(0, (long)n * width).CopyFromCPU(g);
            engine.State.FillDouble(n, empty.Log.View, double.NegativeInfinity);
            empty.G.View.MemSetToZero();
            return (start, empty);
        }
        catch
        {
            empty?.Dispose();
            start?.Dispose();
            throw;
        }
    }

    /// <summary>Groups of the reductions over the rows: one partial result per group.</summary>
    private int Groups => (Rows + engine.ReductionThreads - 1) / engine.ReductionThreads;

    /// <summary>A launch of <paramref name="groups"/> reduction groups, each with its shared scratch.</summary>
    private KernelConfig Reduction(int groups) =>
        new(groups, engine.ReductionThreads, SharedMemoryConfig.RequestDynamic<double>(engine.ReductionThreads));

    public double[] PredictProba(DiffusionResult fitted, FeatureMatrix newFeatures, CancellationToken cancellation)
    {
        if (fitted.Rows != Rows) throw new ArgumentException($"the fitted result has {fitted.Rows} rows but the graph {Rows}", nameof(fitted));
        if (predictor is null) throw DiffusionArguments.NoInductivePrediction();
        try
        {
            return predictor.PredictProba(fitted, newFeatures, cancellation);
        }
        catch (DeviceOutOfMemoryException error)
        {
            throw new GpuOutOfMemoryException($"the GPU has no room to predict {newFeatures.Rows} rows ({error.Message}); use --engine cpu", error);
        }
    }

    public void Dispose()
    {
        (predictor as IDisposable)?.Dispose();
        op.Dispose();
        engine.Forget(this);
    }
}
