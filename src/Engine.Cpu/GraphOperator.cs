using GpuSpread.Graphs;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// The operators of any sparse weighted W (the knn kernel's graph, a graph given as input, their mix), scikit-learn's
/// semantics: spreading drops the diagonal and normalises by the column sums of the rest (in-degrees; the
/// degrees of a symmetric graph), a zero degree counting as 1, so <c>S = D^-1/2 W' D^-1/2</c> and an isolated
/// node keeps an all-zero row; propagation applies W with its diagonal as stored (the loop's row normalisation
/// makes it <c>T = W / rowsum(W)</c>). Everything is in log space and float64:
/// <c>(S F)_i = exp(-log(d_i)/2) sum_j exp(a_ij + l_j - log(d_j)/2) G_j</c>, shifted by the row's largest term.
/// </summary>
internal sealed class CsrOperator : IDiffusionOperator
{
    private const int RowsPerBlock = 256;
    private readonly DiffusionModel _model;
    private readonly double[] _halfLogInverseDegree;

    /// <param name="model">The model; Poisson learning gets spreading's S of the symmetric part of <paramref name="matrix"/>.</param>
    public CsrOperator(LogCsr matrix, DiffusionModel model)
    {
        Matrix = model == DiffusionModel.Poisson ? matrix.SymmetricPart() : matrix;
        _model = PoissonLearning.OperatorModel(model);
        Rows = matrix.Rows;
        _halfLogInverseDegree = Matrix.HalfLogInverseDegrees(_model);
    }

    public LogCsr Matrix { get; }
    public int Rows { get; }
    public int PaddedRows => Rows;

    public double HalfLogDegree(int row) => -_halfLogInverseDegree[row];

    public void Apply(double[] logScale, double[] g, int width, double[] outLog, double[] outSum, CancellationToken cancellation)
    {
        bool spreading = _model == DiffusionModel.Spreading;
        var m = Matrix;
        Parallel.For(0, (Rows + RowsPerBlock - 1) / RowsPerBlock, new ParallelOptions { CancellationToken = cancellation }, block =>
        {
            int end = Math.Min(Rows, (block + 1) * RowsPerBlock);
            for (int i = block * RowsPerBlock; i < end; i++)
            {
                int first = m.RowStart[i], last = m.RowStart[i + 1];
                double max = double.NegativeInfinity;
                for (int e = first; e < last; e++)
                {
                    int j = m.Columns[e];
                    if (!(spreading && j == i)) max = Math.Max(max, m.LogWeights[e] + logScale[j] + _halfLogInverseDegree[j]);
                }
                var sum = outSum.AsSpan(i * width, width);
                sum.Clear();
                outLog[i] = max;
                if (double.IsNegativeInfinity(max)) continue;
                for (int e = first; e < last; e++)
                {
                    int j = m.Columns[e];
                    if (spreading && j == i) continue;
                    double weight = Math.Exp(m.LogWeights[e] + logScale[j] + _halfLogInverseDegree[j] - max);
                    if (weight == 0) continue;
                    var source = g.AsSpan(j * width, width);
                    for (int c = 0; c < width; c++) sum[c] += weight * source[c];
                }
                outLog[i] += _halfLogInverseDegree[i];
            }
        });
    }
}

/// <summary>
/// <c>(1 - mu) A + mu B</c> for two operators on the same rows: spreading mixes the two S as they are; propagation
/// mixes the row-normalised T of each (their row sums taken once, by applying each operator to a column of ones),
/// a row that one graph leaves empty taking all its weight from the other.
/// </summary>
internal sealed class CombinedOperator : IDiffusionOperator
{
    private readonly IDiffusionOperator _first;
    private readonly IDiffusionOperator _second;
    private readonly double _logFirst;
    private readonly double _logSecond;
    private readonly double[]? _firstLogRowSum;
    private readonly double[]? _secondLogRowSum;
    private double[] _scratchLog = [];
    private double[] _scratchSum = [];

    public CombinedOperator(IDiffusionOperator first, IDiffusionOperator second, double mu, DiffusionModel model, CancellationToken cancellation)
    {
        if (second.Rows != first.Rows || second.PaddedRows > first.PaddedRows)
            throw new ArgumentException($"the operators have {first.Rows} and {second.Rows} rows; they must have the same", nameof(second));
        _first = first;
        _second = second;
        _logFirst = Math.Log(1 - mu);
        _logSecond = Math.Log(mu);
        if (model == DiffusionModel.Propagation)
        {
            _firstLogRowSum = LogRowSums(first, cancellation);
            _secondLogRowSum = LogRowSums(second, cancellation);
        }
    }

    public int Rows => _first.Rows;
    public int PaddedRows => _first.PaddedRows;

    /// <summary>A mix of two operators has no one degree (Poisson learning, which needs it, is refused a mix of operators).</summary>
    public double HalfLogDegree(int row) => throw new NotSupportedException("a mix of two operators has no one degree per row");

    /// <summary>log of each row sum of W, by applying the operator to F = 1 (one column).</summary>
    private static double[] LogRowSums(IDiffusionOperator op, CancellationToken cancellation)
    {
        int width = FixedPointLoop.Width(1);
        var logScale = new double[op.PaddedRows];
        for (int j = op.Rows; j < logScale.Length; j++) logScale[j] = double.NegativeInfinity;
        var g = new double[(long)op.PaddedRows * width];
        for (int j = 0; j < op.Rows; j++) g[(long)j * width] = 1;
        var outLog = new double[op.PaddedRows];
        var outSum = new double[(long)op.PaddedRows * width];
        op.Apply(logScale, g, width, outLog, outSum, cancellation);
        var result = new double[op.Rows];
        for (int i = 0; i < op.Rows; i++)
        {
            double sum = outSum[(long)i * width];
            result[i] = sum > 0 && !double.IsNegativeInfinity(outLog[i]) ? outLog[i] + Math.Log(sum) : double.NegativeInfinity;
        }
        return result;
    }

    public void Apply(double[] logScale, double[] g, int width, double[] outLog, double[] outSum, CancellationToken cancellation)
    {
        if (_scratchLog.Length != PaddedRows) _scratchLog = new double[PaddedRows];
        if (_scratchSum.Length != (long)PaddedRows * width) _scratchSum = new double[(long)PaddedRows * width];
        _first.Apply(logScale, g, width, outLog, outSum, cancellation);
        _second.Apply(logScale, g, width, _scratchLog, _scratchSum, cancellation);
        Parallel.For(0, Rows, new ParallelOptions { CancellationToken = cancellation }, i =>
        {
            double a = outLog[i], b = _scratchLog[i];
            double shareA = _logFirst, shareB = _logSecond;
            if (_firstLogRowSum is not null)
            {
                bool emptyA = double.IsNegativeInfinity(_firstLogRowSum[i]), emptyB = double.IsNegativeInfinity(_secondLogRowSum![i]);
                a = emptyA ? double.NegativeInfinity : a - _firstLogRowSum[i];
                b = emptyB ? double.NegativeInfinity : b - _secondLogRowSum[i];
                if (emptyA) shareB = 0;
                if (emptyB) shareA = 0;
            }
            a += shareA;
            b += shareB;
            double max = Math.Max(a, b);
            var sum = outSum.AsSpan(i * width, width);
            if (double.IsNegativeInfinity(max) || double.IsNaN(max))
            {
                outLog[i] = double.NegativeInfinity;
                sum.Clear();
                return;
            }
            double wa = double.IsNegativeInfinity(a) ? 0 : Math.Exp(a - max);
            double wb = double.IsNegativeInfinity(b) ? 0 : Math.Exp(b - max);
            var other = _scratchSum.AsSpan(i * width, width);
            for (int c = 0; c < width; c++) sum[c] = wa * sum[c] + wb * other[c];
            outLog[i] = max;
        });
    }
}
