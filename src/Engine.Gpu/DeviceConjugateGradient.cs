using ILGPU;
using ILGPU.Runtime;

namespace GpuSpread.Engine.Gpu;

/// <summary>
/// Conjugate gradients on the device (the CPU engine's ConjugateGradient, step for step): the fixed points of both
/// loops as linear systems with one right-hand side per class, <c>(I - alpha S) F = (1 - alpha) Y0</c> for spreading and
/// the harmonic system <c>(D_uu - W_uu) F_u = W_ul Y_l</c> for propagation, solved by <see cref="ConjugateGradientMethod"/>.
/// The matrices stay on the device; each dot product reads back one value per class.
/// </summary>
internal static class DeviceConjugateGradient
{
    public static DiffusionResult Run(GpuEngine engine, IDeviceOperator op, ReadOnlySpan<int> classIndex, int classes, DiffusionOptions options,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        using var system = new LinearSystem(engine, op, classIndex.ToArray(), classes, options, cancellation);
        var (iterations, converged) = ConjugateGradientMethod.Run(system, classes, options, progress, cancellation);
        return new DiffusionResult(system.Distributions(), op.Rows, classes, iterations, converged);
    }

    /// <summary>A x for either model, and the right-hand side, on top of the engine's operator (log-scale 0 for every row:
    /// the operator then applies to the rows as they are, signs included).</summary>
    private sealed class LinearSystem : IConjugateGradientSystem, IDisposable
    {
        private readonly GpuEngine _engine;
        private readonly IDeviceOperator _op;
        private readonly int _classes;
        private readonly bool _spreading;
        private readonly double _alpha;
        private readonly CancellationToken _cancellation;
        private readonly DeviceBuffer<int> _labels;
        private readonly DeviceBuffer<double> _zeroScale;
        private readonly DeviceBuffer<double> _outLog;
        private readonly DeviceBuffer<double> _degrees;
        private readonly DeviceBuffer<double> _partials;
        private readonly DeviceBuffer<double> _dots;
        private readonly DeviceBuffer<double> _x;
        private readonly DeviceBuffer<double> _r;
        private readonly DeviceBuffer<double> _p;
        private readonly DeviceBuffer<double> _ap;
        private readonly DeviceBuffer<double> _coefficients;
        private readonly int _groups;
        private readonly List<IDisposable> _owned = [];

        public LinearSystem(GpuEngine engine, IDeviceOperator op, int[] labels, int classes, DiffusionOptions options, CancellationToken cancellation)
        {
            _engine = engine;
            _op = op;
            _classes = classes;
            _spreading = options.Model == DiffusionModel.Spreading;
            _alpha = options.Alpha;
            _cancellation = cancellation;
            int n = op.Rows;
            _groups = (n + engine.ReductionThreads - 1) / engine.ReductionThreads;
            var memory = engine.Memory;
            try
            {
                _labels = Own(memory.Upload(labels, "the labels"));
                _zeroScale = Own(memory.Allocate<double>(n, "a zero log-scale per row"));
                _outLog = Own(memory.Allocate<double>(n, "the operator's log-scales"));
                _degrees = Own(memory.Allocate<double>(n, "the row sums of W"));
                _partials = Own(memory.Allocate<double>((long)_groups * classes, "the dot products' partial sums"));
                _dots = Own(memory.Allocate<double>(classes, "the dot products"));
                long length = (long)n * classes;
                _x = Own(memory.Allocate<double>(length, "the CG solution"));
                _r = Own(memory.Allocate<double>(length, "the CG residual"));
                _p = Own(memory.Allocate<double>(length, "the CG direction"));
                _ap = Own(memory.Allocate<double>(length, "the CG product"));
                _coefficients = Own(memory.Allocate<double>(classes, "the CG step lengths"));
                _zeroScale.View.MemSetToZero();
                if (!_spreading)
                {
                    using var ones = memory.Allocate<double>(n, "a column of ones");
                    engine.State.FillDouble(n, ones.View, 1.0);
                    Apply(ones.View, _degrees.View, 1, zeroKnown: false);
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        private DeviceBuffer<T> Own<T>(DeviceBuffer<T> buffer) where T : unmanaged
        {
            _owned.Add(buffer);
            return buffer;
        }

        private int Length => (int)_x.Length;

        public void Start()
        {
            _x.View.MemSetToZero();
            RightHandSide(_r.View);
            _r.View.CopyTo(_p.View);
        }

        public void MultiplyDirection() => Multiply(_p.View, _ap.View);

        public double[] Dots(CgMatrix a, CgMatrix b) => ColumnDots(Matrix(a), Matrix(b));

        private ArrayView<double> Matrix(CgMatrix matrix) => matrix switch
        {
            CgMatrix.Residual => _r.View,
            CgMatrix.Direction => _p.View,
            _ => _ap.View,
        };

        public void Step(double[] steps)
        {
            _coefficients.View.CopyFromCPU(steps);
            _engine.State.CgStep(Length, _x.View, _r.View, _p.View, _ap.View, _coefficients.View, _classes);
        }

        public void Direction(double[] betas)
        {
            _coefficients.View.CopyFromCPU(betas);
            _engine.State.CgDirection(Length, _r.View, _p.View, _coefficients.View, _classes);
        }

        /// <summary>The distributions from the solution (Y0 on propagation's labeled rows).</summary>
        public double[] Distributions()
        {
            using var result = _engine.Memory.Allocate<double>(_x.Length, "the distributions");
            _engine.State.CgDistributions(_op.Rows, _x.View, _labels.View, result.View, _classes, _spreading ? 1 : 0);
            return result.Download(_x.Length);
        }

        /// <summary>b: (1 - alpha) Y0 for spreading; W Y0 on the unlabeled rows for propagation.</summary>
        private void RightHandSide(ArrayView<double> b)
        {
            int n = _op.Rows;
            if (_spreading)
            {
                _engine.State.CgOneHot(n, _labels.View, b, _classes, 1 - _alpha);
                return;
            }
            using var y0 = _engine.Memory.Allocate<double>((long)n * _classes, "Y0");
            _engine.State.CgOneHot(n, _labels.View, y0.View, _classes, 1.0);
            Apply(y0.View, b, _classes, zeroKnown: true);
        }

        /// <summary>y = A x (x is zero on the rows that are not unknowns).</summary>
        private void Multiply(ArrayView<double> x, ArrayView<double> y)
        {
            _op.Apply(_zeroScale.View, x, _outLog.View, y, _classes, _cancellation);
            _engine.State.CgProduct(_op.Rows, x, _outLog.View, y, _degrees.View, _labels.View, _classes, _spreading ? 1 : 0, _alpha, 0, 0);
        }

        /// <summary>y = S x (spreading) or W x (propagation): one pass over the graph.</summary>
        private void Apply(ArrayView<double> x, ArrayView<double> y, int width, bool zeroKnown)
        {
            _op.Apply(_zeroScale.View, x, _outLog.View, y, width, _cancellation);
            _engine.State.CgProduct(_op.Rows, x, _outLog.View, y, _degrees.View, _labels.View, width, _spreading ? 1 : 0, _alpha, 1, zeroKnown ? 1 : 0);
        }

        /// <summary>Per class, the dot product of two n x c matrices over the unknown rows.</summary>
        private double[] ColumnDots(ArrayView<double> a, ArrayView<double> b)
        {
            var state = _engine.State;
            int threads = _engine.ReductionThreads;
            var shared = SharedMemoryConfig.RequestDynamic<double>(threads);
            state.CgColumnDots(new KernelConfig(_groups, threads, shared), a, b, _labels.View, _partials.View, _op.Rows, _classes, _spreading ? 0 : 1);
            state.CgSumColumnPartials(new KernelConfig(1, threads, shared), _partials.View, _dots.View, _groups, _classes);
            return _dots.Download(_classes);
        }

        public void Dispose()
        {
            for (int b = _owned.Count - 1; b >= 0; b--) _owned[b].Dispose();
            _owned.Clear();
        }
    }
}
