namespace GpuSpread.Engine.Cpu;

/// <summary>
/// The fixed points of both loops as linear systems, solved by conjugate gradients with one right-hand side
/// per class (each class its own step lengths; all classes share each pass over the graph):
/// <list type="bullet">
/// <item>spreading: <c>(I - alpha S) F = (1 - alpha) Y0</c>, symmetric positive definite for a symmetric W;</item>
/// <item>propagation: the harmonic system <c>(D_uu - W_uu) F_u = W_ul Y_l</c> on the unlabeled rows (D the row
/// sums of W with its unit diagonal, which cancels), whose solution is the loop's fixed point (the row
/// normalisation leaves it unchanged), labeled rows staying Y0.</item>
/// </list>
/// Stops when every class's residual is below tol times its right-hand side (2-norms); n_iter counts the
/// passes over the graph. At alpha = 0.99 the fixed-point loop needs about 690 passes for tol 1e-3; CG's
/// count grows with the square root of the condition number (1 + alpha) / (1 - alpha) instead.
/// </summary>
internal static class ConjugateGradient
{
    public static DiffusionResult Run(IDiffusionOperator op, ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        var system = new LinearSystem(op, classIndex.ToArray(), classes, options, cancellation);
        int width = system.Width;
        int length = op.PaddedRows * width;
        var x = new double[length];
        var r = (double[])system.RightHandSide.Clone();
        var p = (double[])r.Clone();
        var ap = new double[length];
        var bNorm = ColumnDots(r, r, system);
        var rs = (double[])bNorm.Clone();
        double tolerance = options.Tol;
        int iterations = 0;
        bool converged = false;
        while (true)
        {
            double worst = WorstRelativeResidual(rs, bNorm);
            progress?.Report(new StageProgress("cg", iterations, options.MaxIter, worst));
            if (worst <= tolerance)
            {
                converged = true;
                break;
            }
            if (iterations == options.MaxIter) break;
            system.Multiply(p, ap);
            iterations++;
            var pAp = ColumnDots(p, ap, system);
            var step = new double[classes];
            for (int c = 0; c < classes; c++) step[c] = pAp[c] > 0 ? rs[c] / pAp[c] : 0;
            for (int i = 0; i < op.Rows; i++)
                for (int c = 0; c < classes; c++)
                {
                    long at = (long)i * width + c;
                    x[at] += step[c] * p[at];
                    r[at] -= step[c] * ap[at];
                }
            var rsNext = ColumnDots(r, r, system);
            for (int i = 0; i < op.Rows; i++)
                for (int c = 0; c < classes; c++)
                {
                    long at = (long)i * width + c;
                    p[at] = r[at] + (rs[c] > 0 ? rsNext[c] / rs[c] : 0) * p[at];
                }
            rs = rsNext;
        }
        return new DiffusionResult(system.Distributions(x), op.Rows, classes, iterations, converged);
    }

    private static double WorstRelativeResidual(double[] residualSquares, double[] rightHandSideSquares)
    {
        double worst = 0;
        for (int c = 0; c < residualSquares.Length; c++)
            if (rightHandSideSquares[c] > 0) worst = Math.Max(worst, Math.Sqrt(residualSquares[c] / rightHandSideSquares[c]));
        return worst;
    }

    /// <summary>Per class, the dot product of two n x width matrices over the unknown rows.</summary>
    private static double[] ColumnDots(double[] a, double[] b, LinearSystem system)
    {
        var sums = new double[system.Classes];
        for (int i = 0; i < system.Rows; i++)
        {
            if (!system.IsUnknown(i)) continue;
            for (int c = 0; c < system.Classes; c++)
            {
                long at = (long)i * system.Width + c;
                sums[c] += a[at] * b[at];
            }
        }
        return sums;
    }

    /// <summary>A x for either model, and the right-hand side, on top of the engine's operator.</summary>
    private sealed class LinearSystem
    {
        private readonly IDiffusionOperator _op;
        private readonly int[] _labels;
        private readonly bool _spreading;
        private readonly double _alpha;
        private readonly CancellationToken _cancellation;
        private readonly double[] _plainScale;
        private readonly double[] _outLog;
        private readonly double[]? _degrees;

        public LinearSystem(IDiffusionOperator op, int[] labels, int classes, DiffusionOptions options, CancellationToken cancellation)
        {
            _op = op;
            _labels = labels;
            _spreading = options.Model == DiffusionModel.Spreading;
            _alpha = options.Alpha;
            _cancellation = cancellation;
            Rows = op.Rows;
            Classes = classes;
            Width = FixedPointLoop.Width(classes);
            // Log-scale 0 for every real row: the operator then applies to the rows as they are, signs included.
            _plainScale = new double[op.PaddedRows];
            for (int i = op.Rows; i < op.PaddedRows; i++) _plainScale[i] = double.NegativeInfinity;
            _outLog = new double[op.PaddedRows];
            var y0 = new double[(long)op.PaddedRows * Width];
            for (int i = 0; i < Rows; i++)
                if (labels[i] >= 0) y0[(long)i * Width + labels[i]] = 1;
            RightHandSide = new double[y0.Length];
            if (_spreading)
            {
                for (int at = 0; at < y0.Length; at++) RightHandSide[at] = (1 - _alpha) * y0[at];
                return;
            }
            var ones = new double[y0.Length];
            for (int i = 0; i < Rows; i++) ones[(long)i * Width] = 1;
            var rowSums = new double[y0.Length];
            Apply(ones, rowSums);
            _degrees = new double[Rows];
            for (int i = 0; i < Rows; i++) _degrees[i] = rowSums[(long)i * Width];
            Apply(y0, RightHandSide);
            for (int i = 0; i < Rows; i++)
                if (!IsUnknown(i)) RightHandSide.AsSpan(i * Width, Width).Clear();
            Labeled = y0;
        }

        public int Rows { get; }
        public int Classes { get; }
        public int Width { get; }
        public double[] RightHandSide { get; }

        /// <summary>Y0 on the labeled rows (propagation keeps them).</summary>
        private double[]? Labeled { get; }

        /// <summary>Spreading solves for every row; propagation for the unlabeled ones.</summary>
        public bool IsUnknown(int row) => _spreading || _labels[row] < 0;

        /// <summary>y = A x (x is zero on the rows that are not unknowns).</summary>
        public void Multiply(double[] x, double[] y)
        {
            Apply(x, y);
            for (int i = 0; i < Rows; i++)
                for (int c = 0; c < Classes; c++)
                {
                    long at = (long)i * Width + c;
                    y[at] = !IsUnknown(i) ? 0 : _spreading ? x[at] - _alpha * y[at] : _degrees![i] * x[at] - y[at];
                }
        }

        /// <summary>y = S x (spreading) or W x (propagation): one pass over the graph.</summary>
        private void Apply(double[] x, double[] y)
        {
            _op.Apply(_plainScale, x, Width, _outLog, y, _cancellation);
            for (int i = 0; i < Rows; i++)
            {
                double scale = Math.Exp(_outLog[i]);
                for (int c = 0; c < Width; c++) y[(long)i * Width + c] *= scale;
            }
        }

        /// <summary>The solution's rows divided by their sums; rounding's tiny negative entries count as 0.</summary>
        public double[] Distributions(double[] x)
        {
            var result = new double[(long)Rows * Classes];
            var row = new double[Classes];
            for (int i = 0; i < Rows; i++)
            {
                for (int c = 0; c < Classes; c++)
                {
                    long at = (long)i * Width + c;
                    row[c] = Math.Max(0, IsUnknown(i) ? x[at] : Labeled![at]);
                }
                FixedPointLoop.NormaliseRow(row, result.AsSpan(i * Classes, Classes));
            }
            return result;
        }
    }
}
