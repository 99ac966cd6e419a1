using GpuSpread.Engine.Gpu.Kernels;
using GpuSpread.Graphs;
using ILGPU;
using ILGPU.Runtime;

namespace GpuSpread.Engine.Gpu;

/// <summary>
/// One application of S (spreading) or T (propagation, up to a per-row factor) to F on the device, F held as a
/// float64 log-scale and a float64 row per row (F_j = exp(l_j) G_j, n x classes); the result comes back the same way.
/// The CPU engine's IDiffusionOperator.
/// </summary>
internal interface IDeviceOperator : IDisposable
{
    int Rows { get; }

    void Apply(ArrayView<double> logScale, ArrayView<double> g, ArrayView<double> outLog, ArrayView<double> outSum, int classes,
        CancellationToken cancellation);

    /// <summary><c>log(d_i) / 2</c> per row for spreading's (and Poisson learning's) S: the degree without the diagonal, a zero degree counting as 1.</summary>
    double[] HalfLogDegrees();
}

/// <summary>A device buffer kept between applications and reallocated when a different length is needed.</summary>
internal sealed class Scratch<T>(DeviceMemory memory, string purpose) : IDisposable where T : unmanaged
{
    private DeviceBuffer<T>? _buffer;

    public ArrayView<T> View(long length)
    {
        if (_buffer is null || _buffer.Length != length)
        {
            _buffer?.Dispose();
            _buffer = null;
            _buffer = memory.Allocate<T>(Math.Max(1, length), purpose);
        }
        return _buffer.View.SubView(0, length);
    }

    public void Dispose()
    {
        _buffer?.Dispose();
        _buffer = null;
    }
}

/// <summary>The operator of a sparse W (<see cref="LogCsr"/>, uploaded once): <see cref="SparseKernels.Apply"/>.</summary>
internal sealed class SparseDeviceOperator : IDeviceOperator
{
    private readonly GpuEngine _engine;
    private readonly DeviceBuffer<int> _rowStart;
    private readonly DeviceBuffer<int> _columns;
    private readonly DeviceBuffer<double> _logWeights;
    private readonly DeviceBuffer<double> _halfLogInverse;
    private readonly double[] _hostHalfLogInverse;
    private readonly bool _spreading;

    /// <param name="model">The model; Poisson learning gets spreading's S of the symmetric part of <paramref name="matrix"/>.</param>
    public SparseDeviceOperator(GpuEngine engine, LogCsr matrix, DiffusionModel model)
    {
        _engine = engine;
        Rows = matrix.Rows;
        if (model == DiffusionModel.Poisson) matrix = matrix.SymmetricPart();
        model = PoissonLearning.OperatorModel(model);
        Pattern = matrix.Pattern;
        _spreading = model == DiffusionModel.Spreading;
        _hostHalfLogInverse = matrix.HalfLogInverseDegrees(model);
        var memory = engine.Memory;
        var buffers = new List<IDisposable>();
        try
        {
            _rowStart = Keep(memory.Upload(matrix.RowStart, "the graph's row offsets"));
            // Empty buffers are not allowed: a graph without entries keeps one unused slot.
            _columns = Keep(memory.Upload(matrix.Entries == 0 ? [0] : matrix.Columns, "the graph's columns"));
            _logWeights = Keep(memory.Upload(matrix.Entries == 0 ? [0.0] : matrix.LogWeights, "the graph's log-weights"));
            _halfLogInverse = Keep(memory.Upload(Rows == 0 ? [0.0] : _hostHalfLogInverse, "the graph's degree terms"));
        }
        catch
        {
            foreach (var buffer in buffers) buffer.Dispose();
            throw;
        }

        DeviceBuffer<TValue> Keep<TValue>(DeviceBuffer<TValue> buffer) where TValue : unmanaged
        {
            buffers.Add(buffer);
            return buffer;
        }
    }

    public int Rows { get; }

    public double[] HalfLogDegrees() => Array.ConvertAll(_hostHalfLogInverse, term => -term);

    /// <summary>W's pattern, kept on the host (4 bytes an entry) for the workflows that walk the graph.</summary>
    public GraphPattern Pattern { get; }

    public void Apply(ArrayView<double> logScale, ArrayView<double> g, ArrayView<double> outLog, ArrayView<double> outSum, int classes,
        CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        _engine.State.SparseApply(Rows, _rowStart.View, _columns.View, _logWeights.View, _halfLogInverse.View, logScale, g, outLog, outSum,
            classes, _spreading ? 1 : 0);
    }

    public void Dispose()
    {
        _halfLogInverse.Dispose();
        _logWeights.Dispose();
        _columns.Dispose();
        _rowStart.Dispose();
    }
}

/// <summary>
/// <c>(1 - mu) A + mu B</c> for two operators on the same rows (<see cref="CombinationMode.Operators"/>): spreading mixes
/// the two S; propagation the row-normalised T of each, their row sums taken once by applying each to a column of ones.
/// </summary>
internal sealed class CombinedDeviceOperator : IDeviceOperator
{
    private readonly GpuEngine _engine;
    private readonly IDeviceOperator _first;
    private readonly IDeviceOperator _second;
    private readonly double _logFirst;
    private readonly double _logSecond;
    private readonly DeviceBuffer<double>? _firstLogRowSum;
    private readonly DeviceBuffer<double>? _secondLogRowSum;
    private readonly Scratch<double> _otherLog;
    private readonly Scratch<double> _otherSum;

    /// <summary>Takes ownership of both operators once built (the caller keeps it when this constructor throws).</summary>
    public CombinedDeviceOperator(GpuEngine engine, IDeviceOperator first, IDeviceOperator second, double mu, DiffusionModel model, CancellationToken cancellation)
    {
        if (second.Rows != first.Rows)
            throw new ArgumentException($"the operators have {first.Rows} and {second.Rows} rows; they must have the same", nameof(second));
        _engine = engine;
        _first = first;
        _second = second;
        _logFirst = Math.Log(1 - mu);
        _logSecond = Math.Log(mu);
        _otherLog = new Scratch<double>(engine.Memory, "the second operator's log-scales");
        _otherSum = new Scratch<double>(engine.Memory, "the second operator's rows");
        if (model != DiffusionModel.Propagation) return;
        try
        {
            _firstLogRowSum = LogRowSums(first, cancellation);
            _secondLogRowSum = LogRowSums(second, cancellation);
        }
        catch
        {
            DisposeOwnBuffers();
            throw;
        }
    }

    public int Rows => _first.Rows;

    /// <summary>A mix of two operators has no one degree (Poisson learning, which needs it, is refused a mix of operators).</summary>
    public double[] HalfLogDegrees() => throw new NotSupportedException("a mix of two operators has no one degree per row");

    /// <summary>log of each row sum of W, by applying the operator to F = 1 (one column).</summary>
    private DeviceBuffer<double> LogRowSums(IDeviceOperator op, CancellationToken cancellation)
    {
        var memory = _engine.Memory;
        int n = op.Rows;
        using var zeros = memory.Allocate<double>(n, "a zero log-scale per row");
        using var ones = memory.Allocate<double>(n, "a column of ones");
        using var outLog = memory.Allocate<double>(n, "the row sums' log-scales");
        using var outSum = memory.Allocate<double>(n, "the row sums");
        zeros.View.MemSetToZero();
        _engine.State.FillDouble(n, ones.View, 1.0);
        op.Apply(zeros.View, ones.View, outLog.View, outSum.View, 1, cancellation);
        var result = memory.Allocate<double>(n, "the log row sums");
        _engine.State.LogRowSums(n, outLog.View, outSum.View, result.View);
        return result;
    }

    public void Apply(ArrayView<double> logScale, ArrayView<double> g, ArrayView<double> outLog, ArrayView<double> outSum, int classes,
        CancellationToken cancellation)
    {
        int n = Rows;
        var otherLog = _otherLog.View(n);
        var otherSum = _otherSum.View((long)n * classes);
        _first.Apply(logScale, g, outLog, outSum, classes, cancellation);
        _second.Apply(logScale, g, otherLog, otherSum, classes, cancellation);
        // Spreading reads no row sums: any view stands in for them.
        _engine.State.Mix(n, outLog, outSum, otherLog, otherSum, _firstLogRowSum?.View ?? otherLog, _secondLogRowSum?.View ?? otherLog,
            _logFirst, _logSecond, classes, _firstLogRowSum is null ? 0 : 1);
    }

    public void Dispose()
    {
        DisposeOwnBuffers();
        _second.Dispose();
        _first.Dispose();
    }

    private void DisposeOwnBuffers()
    {
        _otherSum.Dispose();
        _otherLog.Dispose();
        _secondLogRowSum?.Dispose();
        _firstLogRowSum?.Dispose();
    }
}
