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
/// The method is <see cref="ConjugateGradientMethod"/>'s; n_iter counts the passes over the graph. The fixed-point
/// loop's passes grow with the condition number (1 + alpha) / (1 - alpha), CG's with its square root.
/// </summary>
internal static class ConjugateGradient
{
    public static DiffusionResult Run(IDiffusionOperator op, ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        var system = new LinearSystem(op, classIndex.ToArray(), classes, options, cancellation);
        var (iterations, converged) = ConjugateGradientMethod.Run(system, classes, options, progress, cancellation);
        return new DiffusionResult(system.Distributions(), op.Rows, classes, iterations, converged);
    }

    /// <summary>A x for either model, and the right-hand side, on top of the engine's operator.</summary>
    private sealed class LinearSystem : IConjugateGradientSystem
    {
        private readonly IDiffusionOperator _op;
        private readonly int[] _labels;
        private readonly bool _spreading;
        private readonly double _alpha;
        private readonly CancellationToken _cancellation;
        private readonly double[] _plainScale;
        private readonly double[] _outLog;
        private readonly double[]? _degrees;
        private readonly double[] _x;
        private readonly double[] _r;
        private readonly double[] _p;
        private readonly double[] _ap;

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
            int length = op.PaddedRows * Width;
            (_x, _r, _p, _ap) = (new double[length], new double[length], new double[length], new double[length]);
            var y0 = new double[length];
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
        private double[] RightHandSide { get; }

        public void Start()
        {
            Array.Clear(_x);
            RightHandSide.CopyTo(_r, 0);
            RightHandSide.CopyTo(_p, 0);
        }

        public void MultiplyDirection() => Multiply(_p, _ap);

        public double[] Dots(CgMatrix a, CgMatrix b)
        {
            double[] x = Matrix(a), y = Matrix(b);
            var sums = new double[Classes];
            for (int i = 0; i < Rows; i++)
            {
                if (!IsUnknown(i)) continue;
                for (int c = 0; c < Classes; c++)
                {
                    long at = (long)i * Width + c;
                    sums[c] += x[at] * y[at];
                }
            }
            return sums;
        }

        private double[] Matrix(CgMatrix matrix) => matrix switch
        {
            CgMatrix.Residual => _r,
            CgMatrix.Direction => _p,
            _ => _ap,
        };

        public void Step(double[] steps)
        {
            for (int i = 0; i < Rows; i++)
                for (int c = 0; c < Classes; c++)
                {
                    long at = (long)i * Width + c;
                    _x[at] += steps[c] * _p[at];
                    _r[at] -= steps[c] * _ap[at];
                }
        }

        public void Direction(double[] betas)
        {
            for (int i = 0; i < Rows; i++)
                for (int c = 0; c < Classes; c++)
                {
                    long at = (long)i * Width + c;
                    _p[at] = _r[at] + betas[c] * _p[at];
                }
        }

        /// <summary>Y0 on the labeled rows (propagation keeps them).</summary>
        private double[]? Labeled { get; }

        /// <summary>Spreading solves for every row; propagation for the unlabeled ones.</summary>
        private bool IsUnknown(int row) => _spreading || _labels[row] < 0;

        /// <summary>y = A x (x is zero on the rows that are not unknowns).</summary>
        private void Multiply(double[] x, double[] y)
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
        public double[] Distributions()
        {
            var x = _x;
            var result = new double[(long)Rows * Classes];
            var row = new double[Classes];
            for (int i = 0; i < Rows; i++)
            {
                for (int c = 0; c < Classes; c++)
                {
                    long at = (long)i * Width + c;
                    row[c] = Math.Max(0, IsUnknown(i) ? x[at] : Labeled![at]);
                }
                DistributionRows.Normalise(row, result.AsSpan(i * Classes, Classes));
            }
            return result;
        }
    }
}
