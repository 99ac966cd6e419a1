using System.Numerics;
using System.Runtime.Intrinsics;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// One application of S (spreading) or T (propagation, up to a per-row factor) to F, where F is held
/// as a per-row log-scale and a bounded row: <c>F_j = exp(l_j) G_j</c>. The result comes back the same
/// way: <c>(Op F)_i = exp(outLog_i) outSum_i</c>.
/// </summary>
internal interface IDiffusionOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Training rows.</summary>
    int Rows { get; }

    /// <summary>Rows of the F buffers: at least <see cref="Rows"/>, padded rows hold zero rows.</summary>
    int PaddedRows { get; }

    void Apply(T[] logScale, T[] g, int width, T[] outLog, T[] outSum, CancellationToken cancellation);
}

/// <summary>
/// The rbf operators, recomputing W tile by tile (or reading cached distances). Spreading:
/// <c>S_ij = exp(-gamma r_ij) / sqrt(D_i D_j)</c>, diagonal left out, with <c>u_i = -log(D_i)/2</c> kept in
/// log form so no degree underflows; propagation: <c>W F</c> with the diagonal (r = 0) kept, the row
/// factor being cancelled by the row normalisation that follows.
/// </summary>
internal sealed class RbfOperator<T> : IDiffusionOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly RbfPass<T> _pass;
    private readonly PackedRows<T> _rows;
    private readonly DistanceCache<T>? _cache;
    private readonly DiffusionModel _model;
    private readonly T[] _halfLogInverseDegree;
    private readonly T[] _columnOffsets;

    public RbfOperator(RbfPass<T> pass, DistanceCache<T>? cache, DiffusionModel model, CancellationToken cancellation)
    {
        _pass = pass;
        _rows = pass.Columns;
        _cache = cache;
        _model = model;
        _columnOffsets = new T[_rows.PaddedRows];
        _halfLogInverseDegree = new T[_rows.PaddedRows];
        if (model == DiffusionModel.Spreading) ComputeDegrees(cancellation);
    }

    public int Rows => _rows.Rows;
    public int PaddedRows => _rows.PaddedRows;

    /// <summary>-log(D_i)/2 per row (0 for a row without any affinity, whose degree counts as 1).</summary>
    public ReadOnlySpan<T> HalfLogInverseDegree => _halfLogInverseDegree;

    /// <summary>
    /// The degree pass: D_i = sum_{j != i} exp(-gamma r_ij) = exp(h_i) acc_i, taken with G = 1.
    /// </summary>
    private void ComputeDegrees(CancellationToken cancellation)
    {
        int lanes = Vector256<T>.Count;
        int padded = _rows.PaddedRows;
        var ones = new T[(long)padded * lanes];
        for (int j = 0; j < padded; j++) ones[(long)j * lanes] = T.One;
        for (int j = 0; j < padded; j++) _columnOffsets[j] = j < Rows ? T.Zero : T.NegativeInfinity;
        var maxima = new T[padded];
        var sums = new T[(long)padded * lanes];
        _pass.Run(_rows.RowMajor, _rows.Norms, Rows, DiagonalRule.Exclude, _columnOffsets, ones, lanes, maxima, sums, _cache, cancellation);
        T half = T.CreateTruncating(0.5);
        for (int i = 0; i < Rows; i++)
            _halfLogInverseDegree[i] = T.IsNegativeInfinity(maxima[i]) ? T.Zero : -half * (maxima[i] + T.Log(sums[(long)i * lanes]));
    }

    public void Apply(T[] logScale, T[] g, int width, T[] outLog, T[] outSum, CancellationToken cancellation)
    {
        bool spreading = _model == DiffusionModel.Spreading;
        for (int j = 0; j < PaddedRows; j++)
            _columnOffsets[j] = spreading ? logScale[j] + _halfLogInverseDegree[j] : logScale[j];
        _pass.Run(_rows.RowMajor, _rows.Norms, Rows, spreading ? DiagonalRule.Exclude : DiagonalRule.Zero,
            _columnOffsets, g, width, outLog, outSum, _cache, cancellation);
        if (spreading)
            for (int i = 0; i < Rows; i++) outLog[i] += _halfLogInverseDegree[i];
    }
}

/// <summary>
/// The knn operators over the fixed-width (ELL) neighbour lists, scikit-learn's semantics: row i holds
/// ones at its k neighbours (itself among them), not symmetrised. Spreading drops the diagonal and
/// normalises by in-degrees (column sums, a zero degree counting as 1); propagation keeps the diagonal.
/// </summary>
internal sealed class KnnOperator<T> : IDiffusionOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _neighbours;
    private readonly int _k;
    private readonly DiffusionModel _model;
    private readonly T[] _halfLogInverseDegree;

    public KnnOperator(int[] neighbours, int rows, int k, DiffusionModel model)
    {
        _neighbours = neighbours;
        _k = k;
        _model = model;
        Rows = rows;
        int lanes = Vector256<T>.Count;
        PaddedRows = (rows + lanes - 1) / lanes * lanes;
        _halfLogInverseDegree = new T[PaddedRows];
        if (model == DiffusionModel.Spreading)
        {
            var inDegree = new int[rows];
            for (int i = 0; i < rows; i++)
                foreach (int j in neighbours.AsSpan(i * k, k))
                    if (j != i) inDegree[j]++;
            T half = T.CreateTruncating(0.5);
            for (int j = 0; j < rows; j++)
                _halfLogInverseDegree[j] = -half * T.Log(T.CreateTruncating(Math.Max(1, inDegree[j])));
        }
    }

    public int Rows { get; }
    public int PaddedRows { get; }

    public void Apply(T[] logScale, T[] g, int width, T[] outLog, T[] outSum, CancellationToken cancellation)
    {
        bool spreading = _model == DiffusionModel.Spreading;
        Parallel.For(0, (Rows + 255) / 256, new ParallelOptions { CancellationToken = cancellation }, block =>
        {
            int end = Math.Min(Rows, (block + 1) * 256);
            for (int i = block * 256; i < end; i++)
            {
                var row = _neighbours.AsSpan(i * _k, _k);
                T max = T.NegativeInfinity;
                foreach (int j in row)
                    if (!(spreading && j == i)) max = T.Max(max, logScale[j] + _halfLogInverseDegree[j]);
                var sum = outSum.AsSpan(i * width, width);
                sum.Clear();
                outLog[i] = max;
                if (T.IsNegativeInfinity(max)) continue;
                foreach (int j in row)
                {
                    if (spreading && j == i) continue;
                    T weight = T.Exp(logScale[j] + _halfLogInverseDegree[j] - max);
                    var source = g.AsSpan(j * width, width);
                    for (int c = 0; c < width; c++) sum[c] += weight * source[c];
                }
                if (spreading) outLog[i] += _halfLogInverseDegree[i];
            }
        });
    }
}
