using GpuSpread.Engine.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace GpuSpread.Engine.Gpu;

/// <summary>
/// The training rows on the device in precision T: centred on the training centre, packed, with their squared
/// norms; the knn kernel also keeps the rows as read (float64) for the exact re-ranking. The rbf pass and the knn
/// search take their columns from here, and pack their query rows (new rows to predict) the same way.
/// </summary>
internal sealed class DeviceRows<T, TReal> : IDisposable where T : unmanaged where TReal : struct, IReal<T>
{
    private readonly double[] _centre;

    private DeviceRows(GpuEngine engine, FeatureMatrix features)
    {
        Engine = engine;
        Rows = features.Rows;
        Dims = features.Cols;
        Training = features;
        _centre = features.Scales.Centre;
        Kernels = engine.Kernels<T, TReal>();
        Shape = TileShape.For(engine.Accelerator, System.Runtime.CompilerServices.Unsafe.SizeOf<T>(), engine.SimulatorThreads);
    }

    public GpuEngine Engine { get; }
    public int Rows { get; }
    public int Dims { get; }

    /// <summary>The rows as read, on the host (the knn kernel's weights and predictions are taken from them).</summary>
    public FeatureMatrix Training { get; }

    public PrecisionKernels<T, TReal> Kernels { get; }
    public TileShape Shape { get; }
    public DeviceBuffer<T> Packed { get; private set; } = null!;
    public DeviceBuffer<T> Norms { get; private set; } = null!;

    /// <summary>The rows as read in float64 (null unless kept for the knn search).</summary>
    public DeviceBuffer<double>? Features { get; private set; }

    private DeviceMemory Memory => Engine.Memory;

    /// <summary>Uploads and packs <paramref name="features"/>; <paramref name="keepFeatures"/> keeps them as read for the knn search.</summary>
    public static DeviceRows<T, TReal> Create(GpuEngine engine, FeatureMatrix features, bool keepFeatures)
    {
        var rows = new DeviceRows<T, TReal>(engine, features);
        try
        {
            var read = engine.Memory.Upload(features.AsDouble(), "the features");
            (rows.Packed, rows.Norms) = rows.Pack(read.View, features.Rows);
            if (keepFeatures) rows.Features = read;
            else read.Dispose();
            return rows;
        }
        catch
        {
            rows.Dispose();
            throw;
        }
    }

    /// <summary>Rows (as read, on the device) centred like the training rows, in T, and their squared norms.</summary>
    public (DeviceBuffer<T> Packed, DeviceBuffer<T> Norms) Pack(ArrayView<double> features, int rows)
    {
        using var centre = Memory.Upload(_centre.Length == 0 ? [0.0] : _centre, "the centre");
        var packed = Memory.Allocate<T>((long)rows * Dims, "the packed rows");
        try
        {
            var norms = Memory.Allocate<T>(rows, "the row norms");
            Kernels.Pack(rows, features, centre.View, packed.View, norms.View, Dims);
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
    /// The <paramref name="k"/> nearest training rows of each query row (ties to the lower index), in blocks of query
    /// rows sized from the memory budget; a block that does not fit is halved and retried. Needs <see cref="Features"/>.
    /// </summary>
    /// <returns>queryRows x k training row indices, nearest first.</returns>
    public DeviceBuffer<int> Search(ArrayView<T> queries, ArrayView<T> queryNorms, ArrayView<double> queryFeatures, int queryRows, int k,
        DiffusionOptions options, IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        int candidates = Math.Min(Rows, k + 4);
        var neighbours = Memory.Allocate<int>((long)queryRows * k, "the knn neighbour lists");
        try
        {
            long bytesPerRow = (long)candidates * (System.Runtime.CompilerServices.Unsafe.SizeOf<T>() + sizeof(int) + sizeof(double) + sizeof(int));
            int rows = options.RowTile ?? TilePlan.RowsPerBlock(TilePlan.Budget(options, Engine.Accelerator), Memory.LiveBytes, bytesPerRow, Shape.Rows, queryRows);
            TilePlan.WithHalving(Math.Min(rows, queryRows), blockRows =>
            {
                SearchBlocks(queries, queryNorms, queryFeatures, queryRows, blockRows, k, candidates, neighbours, options, progress, cancellation);
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
        int k, int candidates, DeviceBuffer<int> neighbours, DiffusionOptions options, IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        var state = Engine.State;
        using var bestDistance = Memory.Allocate<T>((long)blockRows * candidates, "the knn candidate distances");
        using var bestIndex = Memory.Allocate<int>((long)blockRows * candidates, "the knn candidate indices");
        using var exact = Memory.Allocate<double>((long)blockRows * candidates, "the knn re-ranking distances");
        using var order = Memory.Allocate<int>((long)blockRows * candidates, "the knn re-ranking order");
        int sharedValues = KnnKernels.CandidatesSharedValues(Shape.Threads, Shape.ThreadsX, Shape.FeatureChunk);
        var args = new KnnSearchArgs
        {
            Dims = Dims, FirstColumn = 0, ColumnEnd = Rows, ColumnSegment = TilePlan.ColumnSegment(options, Rows), ThreadsX = Shape.ThreadsX,
            FeatureChunk = Shape.FeatureChunk, Candidates = candidates,
        };
        for (int first = 0; first < queryRows; first += blockRows)
        {
            cancellation.ThrowIfCancellationRequested();
            int rows = Math.Min(blockRows, queryRows - first);
            long slots = (long)rows * candidates;
            Kernels.Fill((Index1D)(int)slots, bestDistance.View.SubView(0, slots), TReal.FromDouble(double.PositiveInfinity));
            state.FillInt((Index1D)(int)slots, bestIndex.View.SubView(0, slots), int.MaxValue);
            var config = new KernelConfig((rows + Shape.Rows - 1) / Shape.Rows, Shape.Threads, SharedMemoryConfig.RequestDynamic<T>(sharedValues));
            Kernels.Candidates(config, queries, queryNorms, Packed.View, Norms.View, bestDistance.View, bestIndex.View,
                args with { FirstQuery = first, QueryEnd = first + rows });
            state.Refine(rows, queryFeatures, Features!.View, bestIndex.View, exact.View, order.View, neighbours.View,
                first, first + rows, Dims, candidates, k);
            Engine.Accelerator.Synchronize();
            progress?.Report(new StageProgress("graph", first + rows, queryRows, double.NaN));
        }
    }

    public void Dispose()
    {
        Features?.Dispose();
        Norms?.Dispose();
        Packed?.Dispose();
        Features = null;
        Norms = null!;
        Packed = null!;
    }
}
