using System.Numerics;
using System.Runtime.Intrinsics;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// One application of S (spreading) or T (propagation, up to a per-row factor) to F, where F is held
/// as a per-row log-scale and a bounded row, both float64: <c>F_j = exp(l_j) G_j</c>. The result comes
/// back the same way: <c>(Op F)_i = exp(outLog_i) outSum_i</c>.
/// </summary>
internal interface IDiffusionOperator
{
    /// <summary>Training rows.</summary>
    int Rows { get; }

    /// <summary>Rows of the F buffers: at least <see cref="Rows"/>; padded rows hold zero rows.</summary>
    int PaddedRows { get; }

    void Apply(double[] logScale, double[] g, int width, double[] outLog, double[] outSum, CancellationToken cancellation);

    /// <summary><c>log(d_i) / 2</c> for spreading's (and Poisson learning's) S: d_i the degree without the diagonal, a zero degree counting as 1.</summary>
    double HalfLogDegree(int row);
}

/// <summary>The passes an rbf operator runs over its own training rows (<see cref="RbfPass{T}.Run"/>'s contract).</summary>
internal interface IRbfTrainingPass<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The training rows, packed.</summary>
    PackedRows<T> Rows { get; }

    /// <summary>Writes h_q into <paramref name="maxima"/> and acc_q into <paramref name="sums"/> for every training row.</summary>
    void Run(in RbfPass<T>.Inputs inputs, T[] maxima, double[] sums, CancellationToken cancellation);
}

/// <summary>The per-row passes of <see cref="RbfPass{T}"/>, with its cache of tile maxima and unit weights if any.</summary>
internal sealed class PerRowTrainingPass<T>(RbfPass<T> pass, WeightCache<T>? cache) : IRbfTrainingPass<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public PackedRows<T> Rows => pass.Columns;

    /// <summary>The fraction of tile work the last pass skipped by its bounds.</summary>
    public double LastPassSkippedFraction => pass.LastPassSkippedFraction;

    public void Run(in RbfPass<T>.Inputs inputs, T[] maxima, double[] sums, CancellationToken cancellation) =>
        pass.Run(inputs, maxima, sums, cache, cancellation);
}

/// <summary>
/// The rbf operators, recomputing W tile by tile (or reading cached unit weights). With the degree pass's
/// row maxima h (h_i = -gamma min_j r_ij) and shifted sums Dt (D_i = exp(h_i) Dt_i), spreading is
/// <c>(S F)_i = exp(-log(Dt_i)/2) sum_{j != i} exp(l_j - log(Dt_j)/2 - (gamma r_ij + h_i/2 + h_j/2)) G_j</c>,
/// so no degree and no affinity needs to be representable in T; propagation is <c>W F</c> with the
/// diagonal (r = 0) kept, its row factor being cancelled by the row normalisation that follows.
/// </summary>
internal sealed class RbfOperator<T> : IDiffusionOperator where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly IRbfTrainingPass<T> _pass;
    private readonly PackedRows<T> _rows;
    private readonly DiffusionModel _model;
    private readonly T[] _halfMaxima;
    private readonly double[] _halfLogShiftedDegree;
    private readonly T[] _columnOffsets;
    private readonly T[] _maxima;

    public RbfOperator(IRbfTrainingPass<T> pass, DiffusionModel model, CancellationToken cancellation)
    {
        _pass = pass;
        _rows = pass.Rows;
        _model = model;
        _columnOffsets = new T[_rows.PaddedRows];
        _maxima = new T[_rows.PaddedRows];
        _halfMaxima = new T[_rows.PaddedRows];
        _halfLogShiftedDegree = new double[_rows.PaddedRows];
        if (model == DiffusionModel.Spreading) ComputeDegrees(cancellation);
    }

    public int Rows => _rows.Rows;
    public int PaddedRows => _rows.PaddedRows;

    /// <summary>log(D_i)/2 = h_i/2 + log(Dt_i)/2 (the degree pass's shift and shifted sum); only after the degree pass.</summary>
    public double HalfLogDegree(int row) => double.CreateTruncating(_halfMaxima[row]) + _halfLogShiftedDegree[row];

    /// <summary>The passes over the training rows: per row, or over the symmetric store.</summary>
    public IRbfTrainingPass<T> Pass => _pass;

    /// <summary>
    /// The degree pass: D_i = sum_{j != i} exp(-gamma r_ij) = exp(h_i) Dt_i, taken with G = 1. A row with no
    /// affinity left has degree 1 (scikit-learn's rule): h = 0, Dt = 1.
    /// </summary>
    private void ComputeDegrees(CancellationToken cancellation)
    {
        int width = Vector256<double>.Count;
        int padded = _rows.PaddedRows;
        var ones = new double[(long)padded * width];
        for (int j = 0; j < padded; j++) ones[(long)j * width] = 1;
        for (int j = 0; j < padded; j++) _columnOffsets[j] = j < Rows ? T.Zero : T.NegativeInfinity;
        var sums = new double[(long)padded * width];
        _pass.Run(new RbfPass<T>.Inputs(_rows.RowMajor, _rows.Norms, Rows, DiagonalRule.Exclude, null, _columnOffsets, ones, width),
            _maxima, sums, cancellation);
        T half = T.CreateTruncating(0.5);
        for (int i = 0; i < Rows; i++)
        {
            bool isolated = T.IsNegativeInfinity(_maxima[i]);
            _halfMaxima[i] = isolated ? T.Zero : half * _maxima[i];
            _halfLogShiftedDegree[i] = isolated ? 0 : 0.5 * Math.Log(sums[(long)i * width]);
        }
    }

    public void Apply(double[] logScale, double[] g, int width, double[] outLog, double[] outSum, CancellationToken cancellation)
    {
        bool spreading = _model == DiffusionModel.Spreading;
        for (int j = 0; j < PaddedRows; j++)
            _columnOffsets[j] = T.CreateTruncating(spreading ? logScale[j] - _halfLogShiftedDegree[j] : logScale[j]);
        _pass.Run(new RbfPass<T>.Inputs(_rows.RowMajor, _rows.Norms, Rows, spreading ? DiagonalRule.Exclude : DiagonalRule.Zero,
            spreading ? _halfMaxima : null, _columnOffsets, g, width), _maxima, outSum, cancellation);
        for (int i = 0; i < Rows; i++)
            outLog[i] = double.CreateTruncating(_maxima[i]) - (spreading ? _halfLogShiftedDegree[i] : 0);
    }
}
