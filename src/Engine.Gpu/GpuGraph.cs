using GpuSpread.Engine.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace GpuSpread.Engine.Gpu;

/// <summary>
/// The GPU engine's affinity stage product in precision T: the packed training rows on the device, plus the
/// degree terms (rbf spreading) or the ELL neighbour lists (knn). Rows keep the caller's order (the GPU needs no
/// spatial order: it does not skip tiles). Disposing it frees its device buffers.
/// </summary>
internal sealed class GpuGraph<T, TReal> : IAffinityGraph where T : unmanaged where TReal : struct, IReal<T>
{
    private readonly PrecisionKernels<T, TReal> _kernels;
    private readonly StateKernels _state;
    private readonly double[] _centre;
    private readonly int _dims;
    private DeviceBuffer<T>? _packed;
    private DeviceBuffer<T>? _norms;
    private DeviceBuffer<T>? _halfMaxima;
    private DeviceBuffer<double>? _halfLogDegree;
    private DeviceBuffer<double>? _features;
    private DeviceBuffer<int>? _neighbours;
    private DeviceBuffer<double>? _halfLogInverse;

    private GpuGraph(GpuEngine engine, DiffusionOptions options, int rows, int dims, double[] centre)
    {
        Engine = engine;
        Options = options;
        Rows = rows;
        _dims = dims;
        _centre = centre;
        _kernels = engine.Kernels<T, TReal>();
        _state = engine.State;
        Shape = TileShape.For(engine.Accelerator, System.Runtime.CompilerServices.Unsafe.SizeOf<T>(), engine.SimulatorThreads);
    }

    public GpuEngine Engine { get; }
    public int Rows { get; }
    public DiffusionOptions Options { get; }
    public TileShape Shape { get; }

    /// <summary>The knn search on the device is always exact.</summary>
    public KnnSearchReport? KnnSearchReport => Options.Kernel == AffinityKernel.Knn ? KnnSearchReport.Exact : null;

    private DeviceMemory Memory => Engine.Memory;
    private bool Spreading => Options.Model == DiffusionModel.Spreading;

    public static GpuGraph<T, TReal> Build(GpuEngine engine, FeatureMatrix features, DiffusionOptions options,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        var graph = new GpuGraph<T, TReal>(engine, options, features.Rows, features.Cols, Centre(features));
        try
        {
            graph.BuildOnDevice(features, progress, cancellation);
            return graph;
        }
        catch (DeviceOutOfMemoryException error)
        {
            graph.Dispose();
            throw new GpuOutOfMemoryException(
                $"the GPU has no room for the graph of {features.Rows} x {features.Cols} rows ({error.Message}); use --engine cpu", error);
        }
        catch
        {
            graph.Dispose();
            throw;
        }
    }

    private void BuildOnDevice(FeatureMatrix features, IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        int n = Rows;
        _features = Memory.Upload(features.AsDouble(), "the features");
        (_packed, _norms) = Pack(_features.View, n);
        if (Options.Kernel == AffinityKernel.Knn)
        {
            progress?.Report(new StageProgress("graph", 0, n, double.NaN));
            _neighbours = Search(_packed.View, _norms.View, _features.View, n, progress, cancellation);
            _halfLogInverse = Memory.Allocate<double>(n, "the knn degree terms");
            _halfLogInverse.View.MemSetToZero();
            if (Spreading)
            {
                using var inDegree = Memory.Allocate<int>(n, "the knn in-degrees");
                inDegree.View.MemSetToZero();
                _state.InDegrees(n, _neighbours.View, inDegree.View, Options.NNeighbors);
                _state.HalfLogInverseDegrees(n, inDegree.View, _halfLogInverse.View);
            }
            Engine.Accelerator.Synchronize();
            progress?.Report(new StageProgress("graph", n, n, double.NaN));
            return;
        }

        // rbf: the original rows are needed only for packing.
        _features.Dispose();
        _features = null;
        if (!Spreading) return;
        progress?.Report(new StageProgress("degrees", 0, 1, double.NaN));
        using var offsets = Memory.Allocate<T>(n, "the degree pass's column offsets");
        using var ones = Memory.Allocate<T>(n, "the degree pass's G");
        using var maxima = Memory.Allocate<T>(n, "the row maxima");
        using var sums = Memory.Allocate<double>(n, "the degree sums");
        _kernels.Fill(n, offsets.View, TReal.Zero());
        _kernels.Fill(n, ones.View, TReal.FromSingle(1f));
        RunPass(_packed.View, _norms.View, _packed.View, n, offsets.View, ones.View, 1, maxima.View, sums.View, Diagonal.Exclude,
            shifted: false, cancellation);
        _halfMaxima = Memory.Allocate<T>(n, "the degree shifts");
        _halfLogDegree = Memory.Allocate<double>(n, "the log degrees");
        _kernels.Degrees(n, maxima.View, sums.View, _halfMaxima.View, _halfLogDegree.View);
        Engine.Accelerator.Synchronize();
        progress?.Report(new StageProgress("degrees", 1, 1, double.NaN));
    }

    /// <summary>
    /// The training centre: the column means rounded to integers, exactly the CPU engine's PackedRows.Centre
    /// (it takes away large common offsets and keeps integer-valued data exact).
    /// </summary>
    private static double[] Centre(FeatureMatrix features)
    {
        var sums = new double[features.Cols];
        for (int i = 0; i < features.Rows; i++)
            for (int k = 0; k < features.Cols; k++)
                sums[k] += features[i, k];
        for (int k = 0; k < sums.Length; k++) sums[k] = Math.Round(sums[k] / Math.Max(1, features.Rows));
        return sums;
    }

    /// <summary>Centred rows in T and their squared norms.</summary>
    private (DeviceBuffer<T> Packed, DeviceBuffer<T> Norms) Pack(ArrayView<double> features, int rows)
    {
        using var centre = Memory.Upload(_centre.Length == 0 ? [0.0] : _centre, "the centre");
        var packed = Memory.Allocate<T>((long)rows * _dims, "the packed rows");
        try
        {
            var norms = Memory.Allocate<T>(rows, "the row norms");
            _kernels.Pack(rows, features, centre.View, packed.View, norms.View, _dims);
            Engine.Accelerator.Synchronize();
            return (packed, norms);
        }
        catch
        {
            packed.Dispose();
            throw;
        }
    }

    /// <summary>
    /// One rbf pass of <paramref name="queryRows"/> query rows over every training row: maxima h_q and sums acc_q
    /// (see <see cref="RbfKernels.Pass{T, TReal}"/>), in launches of row blocks.
    /// </summary>
    private void RunPass(ArrayView<T> queries, ArrayView<T> queryNorms, ArrayView<T> shifts, int queryRows, ArrayView<T> offsets,
        ArrayView<T> g, int classes, ArrayView<T> maxima, ArrayView<double> sums, Diagonal diagonal, bool shifted, CancellationToken cancellation)
    {
        int n = Rows;
        _kernels.Fill(queryRows, maxima.SubView(0, queryRows), TReal.NegativeInfinity());
        sums.SubView(0, (long)queryRows * classes).MemSetToZero();
        int classChunk = Shape.ClassChunkFor(classes);
        int sharedValues = RbfKernels.PassSharedValues(Shape.Threads, Shape.ThreadsX, Shape.FeatureChunk, classChunk);
        int rowsPerLaunch = TilePlan.RowsPerLaunch(Options, Shape, queryRows, n, _dims, classes);
        var args = new RbfPassArgs<T>
        {
            Dims = _dims, Classes = classes, FirstColumn = 0, ColumnEnd = n, ColumnSegment = TilePlan.ColumnSegment(Options, n),
            ThreadsX = Shape.ThreadsX, FeatureChunk = Shape.FeatureChunk, ClassChunk = classChunk, Diagonal = (int)diagonal,
            Shifted = shifted ? 1 : 0, Gamma = TReal.FromDouble(Options.Gamma),
            Cut = TReal.FromDouble(Options.Float64UnderflowCut ? DiffusionOptions.Float64UnderflowExponent : double.PositiveInfinity),
        };
        for (int first = 0; first < queryRows; first += rowsPerLaunch)
        {
            cancellation.ThrowIfCancellationRequested();
            int rows = Math.Min(rowsPerLaunch, queryRows - first);
            var config = new KernelConfig((rows + Shape.Rows - 1) / Shape.Rows, Shape.Threads, SharedMemoryConfig.RequestDynamic<T>(sharedValues));
            _kernels.Pass(config, queries, queryNorms, shifts, _packed!.View, _norms!.View, shifts, offsets, g, maxima, sums,
                args with { FirstQuery = first, QueryEnd = first + rows });
        }
    }

    /// <summary>
    /// The k nearest training rows of each query row (ties to the lower index), in blocks of query rows sized
    /// from the memory budget; a block that does not fit is halved and retried.
    /// </summary>
    private DeviceBuffer<int> Search(ArrayView<T> queries, ArrayView<T> queryNorms, ArrayView<double> queryFeatures, int queryRows,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        int n = Rows, k = Options.NNeighbors;
        int candidates = Math.Min(n, k + 4);
        var neighbours = Memory.Allocate<int>((long)queryRows * k, "the knn neighbour lists");
        try
        {
            long bytesPerRow = (long)candidates * (System.Runtime.CompilerServices.Unsafe.SizeOf<T>() + sizeof(int) + sizeof(double) + sizeof(int));
            int rows = Options.RowTile ?? TilePlan.RowsPerBlock(TilePlan.Budget(Options, Engine.Accelerator), Memory.LiveBytes, bytesPerRow, Shape.Rows, queryRows);
            TilePlan.WithHalving(Math.Min(rows, queryRows), blockRows =>
            {
                SearchBlocks(queries, queryNorms, queryFeatures, queryRows, blockRows, candidates, neighbours, progress, cancellation);
                return 0;
            }, "the knn search");
            return neighbours;
        }
        catch
        {
            neighbours.Dispose();
            throw;
        }
    }

    private void SearchBlocks(ArrayView<T> queries, ArrayView<T> queryNorms, ArrayView<double> queryFeatures, int queryRows, int blockRows,
        int candidates, DeviceBuffer<int> neighbours, IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        int n = Rows, k = Options.NNeighbors;
        using var bestDistance = Memory.Allocate<T>((long)blockRows * candidates, "the knn candidate distances");
        using var bestIndex = Memory.Allocate<int>((long)blockRows * candidates, "the knn candidate indices");
        using var exact = Memory.Allocate<double>((long)blockRows * candidates, "the knn re-ranking distances");
        using var order = Memory.Allocate<int>((long)blockRows * candidates, "the knn re-ranking order");
        int sharedValues = KnnKernels.CandidatesSharedValues(Shape.Threads, Shape.ThreadsX, Shape.FeatureChunk);
        var args = new KnnSearchArgs
        {
            Dims = _dims, FirstColumn = 0, ColumnEnd = n, ColumnSegment = TilePlan.ColumnSegment(Options, n), ThreadsX = Shape.ThreadsX,
            FeatureChunk = Shape.FeatureChunk, Candidates = candidates,
        };
        for (int first = 0; first < queryRows; first += blockRows)
        {
            cancellation.ThrowIfCancellationRequested();
            int rows = Math.Min(blockRows, queryRows - first);
            long slots = (long)rows * candidates;
            _kernels.Fill((Index1D)(int)slots, bestDistance.View.SubView(0, slots), TReal.FromDouble(double.PositiveInfinity));
            _state.FillInt((Index1D)(int)slots, bestIndex.View.SubView(0, slots), int.MaxValue);
            var config = new KernelConfig((rows + Shape.Rows - 1) / Shape.Rows, Shape.Threads, SharedMemoryConfig.RequestDynamic<T>(sharedValues));
            _kernels.Candidates(config, queries, queryNorms, _packed!.View, _norms!.View, bestDistance.View, bestIndex.View,
                args with { FirstQuery = first, QueryEnd = first + rows });
            _state.Refine(rows, queryFeatures, _features!.View, bestIndex.View, exact.View, order.View, neighbours.View,
                first, first + rows, _dims, candidates, k);
            Engine.Accelerator.Synchronize();
            progress?.Report(new StageProgress("graph", first + rows, queryRows, double.NaN));
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

    /// <summary>scikit-learn's fixed-point loop (the CPU engine's FixedPointLoop.Run), F on the device throughout.</summary>
    public DiffusionResult Diffuse(ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options, ReadOnlySpan<double> start,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        int n = Rows;
        var (initialLog, initialG) = InitialState(classIndex, classes, start);
        var labels = classIndex.ToArray();
        try
        {
            return Loop(initialLog, initialG, labels, classes, options, progress, cancellation);
        }
        catch (DeviceOutOfMemoryException error)
        {
            throw new GpuOutOfMemoryException($"the GPU has no room for the label state of {n} rows x {classes} classes ({error.Message}); use --engine cpu", error);
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

    private DiffusionResult Loop(double[] initialLog, double[] initialG, int[] labels, int classes, DiffusionOptions options,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        int n = Rows;
        using var first = new State(Memory, n, classes);
        using var second = new State(Memory, n, classes);
        using var labelBuffer = Memory.Upload(labels, "the labels");
        int groups = (n + Engine.ReductionThreads - 1) / Engine.ReductionThreads;
        using var partials = Memory.Allocate<double>(groups, "the change's partial sums");
        using var change = Memory.Allocate<double>(1, "the change");
        bool rbf = Options.Kernel == AffinityKernel.Rbf;
        using var offsets = rbf ? Memory.Allocate<T>(n, "the column offsets") : null;
        using var gT = rbf ? Memory.Allocate<T>((long)n * classes, "G in the engine's precision") : null;
        using var maxima = rbf ? Memory.Allocate<T>(n, "the row maxima") : null;
        using var none = Memory.Allocate<double>(1, "an unused argument");

        first.Log.View.SubView(0, n).CopyFromCPU(initialLog);
        first.G.View.SubView(0, (long)n * classes).CopyFromCPU(initialG);
        _state.FillDouble(n, second.Log.View, double.NegativeInfinity);
        second.G.View.MemSetToZero();

        bool spreading = options.Model == DiffusionModel.Spreading;
        var update = new UpdateArgs
        {
            Rows = n, Classes = classes, Rule = (int)UpdateRule.None,
            LogAlpha = Math.Log(options.Alpha), LogOneMinusAlpha = Math.Log(1 - options.Alpha),
            // With scikit-learn's cut, label mass below float64's range is dropped as float64 drops it.
            SmallestLog = options.Float64UnderflowCut ? -DiffusionOptions.Float64UnderflowExponent : double.NegativeInfinity,
        };
        var reduce = new KernelConfig(groups, Engine.ReductionThreads, SharedMemoryConfig.RequestDynamic<double>(Engine.ReductionThreads));
        var sum = new KernelConfig(1, Engine.ReductionThreads, SharedMemoryConfig.RequestDynamic<double>(Engine.ReductionThreads));

        double Change(State current, State previous, UpdateRule rule)
        {
            _state.UpdateAndChange(reduce, current.Log.View, current.G.View, previous.Log.View, previous.G.View, labelBuffer.View,
                partials.View, update with { Rule = (int)rule });
            _state.SumPartials(sum, partials.View, change.View, groups);
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
            if (rbf) ApplyRbf(previous, current, classes, offsets!, gT!, maxima!, none, cancellation);
            else
                _state.EllApply(n, _neighbours!.View, _halfLogInverse!.View, previous.Log.View, previous.G.View, current.Log.View, current.G.View,
                    Options.NNeighbors, classes, spreading ? 1 : 0);
            delta = Change(current, previous, spreading ? UpdateRule.Spreading : UpdateRule.Propagation);
        }
        if (!converged) progress?.Report(new StageProgress("iterate", options.MaxIter, options.MaxIter, double.NaN));

        using var result = Memory.Allocate<double>((long)n * classes, "the distributions");
        _state.Normalise(n, current.G.View, result.View, classes);
        return new DiffusionResult(result.Download((long)n * classes), n, classes, iterations, converged);
    }

    /// <summary>(Op F) for rbf: column offsets and G in T, the pass, then the rows' log-scales.</summary>
    private void ApplyRbf(State previous, State current, int classes, DeviceBuffer<T> offsets, DeviceBuffer<T> gT, DeviceBuffer<T> maxima,
        DeviceBuffer<double> none, CancellationToken cancellation)
    {
        int n = Rows;
        bool spreading = Spreading;
        var halfLogDegree = spreading ? _halfLogDegree!.View : none.View;
        _kernels.PrepareApply(n, previous.Log.View, halfLogDegree, previous.G.View, offsets.View, gT.View, classes, spreading ? 1 : 0);
        RunPass(_packed!.View, _norms!.View, spreading ? _halfMaxima!.View : _packed!.View, n, offsets.View, gT.View, classes,
            maxima.View, current.G.View, spreading ? Diagonal.Exclude : Diagonal.Zero, shifted: spreading, cancellation);
        _kernels.FinishApply(n, maxima.View, halfLogDegree, current.Log.View, spreading ? 1 : 0);
    }

    /// <summary>
    /// Seconds per application of the rbf operator (prepare, pass, finish) to a spread-out F: one untimed
    /// application (warm-up), then <paramref name="repeats"/> timed ones, the device synchronised before and after.
    /// </summary>
    public double TimeApplies(int classes, int repeats)
    {
        if (Options.Kernel != AffinityKernel.Rbf) throw new InvalidOperationException("only the rbf operator is timed");
        int n = Rows;
        var random = new Random(1);
        var log = new double[n];
        var g = new double[(long)n * classes];
        for (long e = 0; e < g.Length; e++) g[e] = random.NextDouble();
        using var first = new State(Memory, n, classes);
        using var second = new State(Memory, n, classes);
        using var offsets = Memory.Allocate<T>(n, "the column offsets");
        using var gT = Memory.Allocate<T>((long)n * classes, "G in the engine's precision");
        using var maxima = Memory.Allocate<T>(n, "the row maxima");
        using var none = Memory.Allocate<double>(1, "an unused argument");
        first.Log.View.SubView(0, n).CopyFromCPU(log);
        first.G.View.SubView(0, g.Length).CopyFromCPU(g);
        ApplyRbf(first, second, classes, offsets, gT, maxima, none, CancellationToken.None);
        Engine.Accelerator.Synchronize();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int r = 0; r < repeats; r++) ApplyRbf(first, second, classes, offsets, gT, maxima, none, CancellationToken.None);
        Engine.Accelerator.Synchronize();
        return clock.Elapsed.TotalSeconds / Math.Max(1, repeats);
    }

    public double[] PredictProba(DiffusionResult fitted, FeatureMatrix newFeatures, CancellationToken cancellation)
    {
        if (fitted.Rows != Rows) throw new ArgumentException($"the fitted result has {fitted.Rows} rows but the graph {Rows}", nameof(fitted));
        if (newFeatures.Cols != _dims)
            throw new ArgumentException($"X has {newFeatures.Cols} features, but the graph was built with {_dims} features.", nameof(newFeatures));
        int classes = fitted.Classes;
        int m = newFeatures.Rows;
        if (m == 0) return [];
        try
        {
            using var distributions = Memory.Upload(fitted.Distributions, "the fitted distributions");
            using var features = Memory.Upload(newFeatures.AsDouble(), "the new rows");
            var (packed, norms) = Pack(features.View, m);
            using (packed)
            using (norms)
            using (var result = Memory.Allocate<double>((long)m * classes, "the predicted distributions"))
            {
                if (Options.Kernel == AffinityKernel.Knn)
                {
                    using var neighbours = Search(packed.View, norms.View, features.View, m, null, cancellation);
                    _state.KnnPredict(m, neighbours.View, distributions.View, result.View, Options.NNeighbors, classes);
                    return result.Download((long)m * classes);
                }
                using var offsets = Memory.Allocate<T>(Rows, "the column offsets");
                using var gT = Memory.Allocate<T>((long)Rows * classes, "the distributions in the engine's precision");
                using var maxima = Memory.Allocate<T>(m, "the row maxima");
                using var sums = Memory.Allocate<double>((long)m * classes, "the sums");
                _kernels.PreparePredict(Rows, distributions.View, offsets.View, gT.View, classes);
                RunPass(packed.View, norms.View, packed.View, m, offsets.View, gT.View, classes, maxima.View, sums.View, Diagonal.None,
                    shifted: false, cancellation);
                _state.Normalise(m, sums.View, result.View, classes);
                return result.Download((long)m * classes);
            }
        }
        catch (DeviceOutOfMemoryException error)
        {
            throw new GpuOutOfMemoryException($"the GPU has no room to predict {m} rows ({error.Message}); use --engine cpu", error);
        }
    }

    public void Dispose()
    {
        _halfLogInverse?.Dispose();
        _neighbours?.Dispose();
        _halfLogDegree?.Dispose();
        _halfMaxima?.Dispose();
        _norms?.Dispose();
        _packed?.Dispose();
        _features?.Dispose();
        _halfLogInverse = null;
        _neighbours = null;
        _halfLogDegree = null;
        _halfMaxima = null;
        _norms = null;
        _packed = null;
        _features = null;
        Engine.Forget(this);
    }
}
