using GpuSpread.Engine.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace GpuSpread.Engine.Gpu;

/// <summary>
/// The rbf operators on the device in precision T, W recomputed tile by tile by <see cref="RbfKernels.Pass{T, TReal}"/>
/// over the packed training rows; spreading keeps the degree pass's shifts (h_i / 2) and log degrees. Rows keep the
/// caller's order (the GPU needs no spatial order: it does not skip tiles).
/// </summary>
internal sealed class RbfDeviceOperator<T, TReal> : IDeviceOperator where T : unmanaged where TReal : struct, IReal<T>
{
    private readonly DiffusionOptions _options;
    private readonly Scratch<T> _offsets;
    private readonly Scratch<T> _gT;
    private readonly Scratch<T> _maxima;
    private DeviceBuffer<T>? _halfMaxima;
    private DeviceBuffer<double>? _halfLogDegree;

    private RbfDeviceOperator(DeviceRows<T, TReal> rows, DiffusionOptions options)
    {
        Columns = rows;
        _options = options;
        var memory = rows.Engine.Memory;
        _offsets = new Scratch<T>(memory, "the column offsets");
        _gT = new Scratch<T>(memory, "G in the engine's precision");
        _maxima = new Scratch<T>(memory, "the row maxima");
    }

    /// <summary>The training rows (owned).</summary>
    public DeviceRows<T, TReal> Columns { get; }

    public int Rows => Columns.Rows;
    private bool Spreading => PoissonLearning.OperatorModel(_options.Model) == DiffusionModel.Spreading;
    private GpuEngine Engine => Columns.Engine;
    private DeviceMemory Memory => Engine.Memory;

    /// <summary>Packs the rows and, for spreading, runs the degree pass.</summary>
    public static RbfDeviceOperator<T, TReal> Build(GpuEngine engine, FeatureMatrix features, DiffusionOptions options,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        var rows = DeviceRows<T, TReal>.Create(engine, features, keepFeatures: false);
        var op = new RbfDeviceOperator<T, TReal>(rows, options);
        try
        {
            if (op.Spreading) op.ComputeDegrees(progress, cancellation);
            return op;
        }
        catch
        {
            op.Dispose();
            throw;
        }
    }

    private void ComputeDegrees(IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        int n = Rows;
        var kernels = Columns.Kernels;
        progress?.Report(new StageProgress("degrees", 0, 1, double.NaN));
        using var offsets = Memory.Allocate<T>(n, "the degree pass's column offsets");
        using var ones = Memory.Allocate<T>(n, "the degree pass's G");
        using var maxima = Memory.Allocate<T>(n, "the row maxima");
        using var sums = Memory.Allocate<double>(n, "the degree sums");
        kernels.Fill(n, offsets.View, TReal.Zero());
        kernels.Fill(n, ones.View, TReal.FromSingle(1f));
        var packed = Columns.Packed.View;
        RunPass(packed, Columns.Norms.View, packed, n, offsets.View, ones.View, 1, maxima.View, sums.View, Diagonal.Exclude, shifted: false, cancellation);
        _halfMaxima = Memory.Allocate<T>(n, "the degree shifts");
        _halfLogDegree = Memory.Allocate<double>(n, "the log degrees");
        kernels.Degrees(n, maxima.View, sums.View, _halfMaxima.View, _halfLogDegree.View);
        Engine.Accelerator.Synchronize();
        progress?.Report(new StageProgress("degrees", 1, 1, double.NaN));
    }

    /// <summary>log(D_i)/2 = h_i/2 + log(Dt_i)/2 (the degree pass's shift and shifted sum), read back from the device.</summary>
    public double[] HalfLogDegrees()
    {
        if (_halfMaxima is null || _halfLogDegree is null) throw new InvalidOperationException("the degrees exist only for spreading's operator");
        var shifts = _halfMaxima.Download(Rows);
        var result = _halfLogDegree.Download(Rows);
        for (int i = 0; i < result.Length; i++) result[i] += TReal.ToDouble(shifts[i]);
        return result;
    }

    /// <summary>(Op F): column offsets and G in T, the pass, then the rows' log-scales.</summary>
    public void Apply(ArrayView<double> logScale, ArrayView<double> g, ArrayView<double> outLog, ArrayView<double> outSum, int classes,
        CancellationToken cancellation)
    {
        int n = Rows;
        var kernels = Columns.Kernels;
        var offsets = _offsets.View(n);
        var gT = _gT.View((long)n * classes);
        var maxima = _maxima.View(n);
        // Propagation reads no degree terms: any float64 view of n values stands in for them.
        var halfLogDegree = Spreading ? _halfLogDegree!.View : logScale;
        kernels.PrepareApply(n, logScale, halfLogDegree, g, offsets, gT, classes, Spreading ? 1 : 0);
        var packed = Columns.Packed.View;
        RunPass(packed, Columns.Norms.View, Spreading ? _halfMaxima!.View : packed, n, offsets, gT, classes, maxima, outSum,
            Spreading ? Diagonal.Exclude : Diagonal.Zero, shifted: Spreading, cancellation);
        kernels.FinishApply(n, maxima, halfLogDegree, outLog, Spreading ? 1 : 0);
    }

    /// <summary>
    /// One rbf pass of <paramref name="queryRows"/> query rows over every training row: maxima h_q and sums acc_q
    /// (see <see cref="RbfKernels.Pass{T, TReal}"/>), in launches of row blocks.
    /// </summary>
    public void RunPass(ArrayView<T> queries, ArrayView<T> queryNorms, ArrayView<T> shifts, int queryRows, ArrayView<T> offsets,
        ArrayView<T> g, int classes, ArrayView<T> maxima, ArrayView<double> sums, Diagonal diagonal, bool shifted, CancellationToken cancellation)
    {
        int n = Rows;
        var shape = Columns.Shape;
        var kernels = Columns.Kernels;
        kernels.Fill(queryRows, maxima.SubView(0, queryRows), TReal.NegativeInfinity());
        sums.SubView(0, (long)queryRows * classes).MemSetToZero();
        int classChunk = shape.ClassChunkFor(classes);
        int sharedValues = RbfKernels.PassSharedValues(shape.Threads, shape.ThreadsX, shape.FeatureChunk, classChunk);
        int rowsPerLaunch = TilePlan.RowsPerLaunch(_options, shape, queryRows, n, Columns.Dims, classes);
        var args = new RbfPassArgs<T>
        {
            Dims = Columns.Dims, Classes = classes, FirstColumn = 0, ColumnEnd = n, ColumnSegment = TilePlan.ColumnSegment(_options, n),
            ThreadsX = shape.ThreadsX, FeatureChunk = shape.FeatureChunk, ClassChunk = classChunk, Diagonal = (int)diagonal,
            Shifted = shifted ? 1 : 0, Gamma = TReal.FromDouble(_options.Gamma),
            Cut = TReal.FromDouble(_options.Float64UnderflowCut ? DiffusionOptions.Float64UnderflowExponent : double.PositiveInfinity),
        };
        for (int first = 0; first < queryRows; first += rowsPerLaunch)
        {
            cancellation.ThrowIfCancellationRequested();
            int rows = Math.Min(rowsPerLaunch, queryRows - first);
            var config = new KernelConfig((rows + shape.Rows - 1) / shape.Rows, shape.Threads, SharedMemoryConfig.RequestDynamic<T>(sharedValues));
            kernels.Pass(config, queries, queryNorms, shifts, Columns.Packed.View, Columns.Norms.View, shifts, offsets, g, maxima, sums,
                args with { FirstQuery = first, QueryEnd = first + rows });
        }
    }

    public void Dispose()
    {
        _maxima.Dispose();
        _gT.Dispose();
        _offsets.Dispose();
        _halfLogDegree?.Dispose();
        _halfMaxima?.Dispose();
        Columns.Dispose();
    }
}

/// <summary>Inductive prediction for new rows from a fitted graph of features.</summary>
internal interface IDevicePredictor
{
    double[] PredictProba(DiffusionResult fitted, FeatureMatrix newFeatures, CancellationToken cancellation);
}

/// <summary>The rbf kernel's inductive rule: row-normalised K(X_new, X_train) F, by the training graph's own pass.</summary>
internal sealed class RbfDevicePredictor<T, TReal>(RbfDeviceOperator<T, TReal> op) : IDevicePredictor
    where T : unmanaged where TReal : struct, IReal<T>
{
    public double[] PredictProba(DiffusionResult fitted, FeatureMatrix newFeatures, CancellationToken cancellation)
    {
        var rows = op.Columns;
        DiffusionArguments.CheckColumns(newFeatures, rows.Dims);
        var memory = rows.Engine.Memory;
        int classes = fitted.Classes, m = newFeatures.Rows, n = rows.Rows;
        if (m == 0) return [];
        using var distributions = memory.Upload(fitted.Distributions, "the fitted distributions");
        using var features = memory.Upload(newFeatures.AsDouble(), "the new rows");
        var (packed, norms) = rows.Pack(features.View, m);
        using (packed)
        using (norms)
        {
            using var result = memory.Allocate<double>((long)m * classes, "the predicted distributions");
            using var offsets = memory.Allocate<T>(n, "the column offsets");
            using var gT = memory.Allocate<T>((long)n * classes, "the distributions in the engine's precision");
            using var maxima = memory.Allocate<T>(m, "the row maxima");
            using var sums = memory.Allocate<double>((long)m * classes, "the sums");
            rows.Kernels.PreparePredict(n, distributions.View, offsets.View, gT.View, classes);
            op.RunPass(packed.View, norms.View, packed.View, m, offsets.View, gT.View, classes, maxima.View, sums.View, Diagonal.None,
                shifted: false, cancellation);
            rows.Engine.State.Normalise(m, sums.View, result.View, classes);
            return result.Download((long)m * classes);
        }
    }
}

/// <summary>The knn kernel's inductive rule: each new row's k nearest training rows by the exact search on the device,
/// their distributions summed on the host (<see cref="Graphs.KnnGraph.Predict"/>, as the CPU engine does).</summary>
internal sealed class KnnDevicePredictor<T, TReal>(DeviceRows<T, TReal> rows, DiffusionOptions options) : IDevicePredictor, IDisposable
    where T : unmanaged where TReal : struct, IReal<T>
{
    public double[] PredictProba(DiffusionResult fitted, FeatureMatrix newFeatures, CancellationToken cancellation)
    {
        DiffusionArguments.CheckColumns(newFeatures, rows.Dims);
        var memory = rows.Engine.Memory;
        int m = newFeatures.Rows;
        if (m == 0) return [];
        using var features = memory.Upload(newFeatures.AsDouble(), "the new rows");
        var (packed, norms) = rows.Pack(features.View, m);
        int[] neighbours;
        using (packed)
        using (norms)
        using (var found = rows.Search(packed.View, norms.View, features.View, m, options.NNeighbors, options, null, cancellation))
            neighbours = found.Download((long)m * options.NNeighbors);
        return Graphs.KnnGraph.Predict(options, rows.Training, newFeatures, neighbours, fitted.Distributions, fitted.Classes);
    }

    public void Dispose() => rows.Dispose();
}
