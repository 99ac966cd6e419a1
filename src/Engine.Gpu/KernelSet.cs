using System.Reflection;
using GpuSpread.Engine.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace GpuSpread.Engine.Gpu;

/// <summary>
/// The float64 kernels of the F state (precision-independent): loaded once per engine into typed delegates.
/// </summary>
internal sealed class StateKernels
{
    public StateKernels(Accelerator accelerator)
    {
        FillDouble = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, double>(PackingKernels.FillDouble);
        FillInt = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, int>(PackingKernels.FillInt);
        Refine = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<int>, ArrayView<double>,
            ArrayView<int>, ArrayView<int>, int, int, int, int, int>(KnnKernels.Refine);
        InDegrees = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, int>(KnnKernels.InDegrees);
        HalfLogInverseDegrees = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<double>>(KnnKernels.HalfLogInverseDegrees);
        KnnPredict = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<double>, ArrayView<double>, int, int>(KnnKernels.Predict);
        EllApply = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<double>, ArrayView<double>, ArrayView<double>,
            ArrayView<double>, ArrayView<double>, int, int, int>(EllKernels.Apply);
        UpdateAndChange = accelerator.LoadStreamKernel<ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>,
            ArrayView<int>, ArrayView<double>, UpdateArgs>(UpdateKernels.UpdateAndChange);
        SumPartials = accelerator.LoadStreamKernel<ArrayView<double>, ArrayView<double>, int>(UpdateKernels.SumPartials);
        Normalise = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, int>(NormaliseKernels.Normalise);
    }

    public Action<Index1D, ArrayView<double>, double> FillDouble { get; }
    public Action<Index1D, ArrayView<int>, int> FillInt { get; }
    public Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<int>, ArrayView<double>, ArrayView<int>, ArrayView<int>,
        int, int, int, int, int> Refine { get; }
    public Action<Index1D, ArrayView<int>, ArrayView<int>, int> InDegrees { get; }
    public Action<Index1D, ArrayView<int>, ArrayView<double>> HalfLogInverseDegrees { get; }
    public Action<Index1D, ArrayView<int>, ArrayView<double>, ArrayView<double>, int, int> KnnPredict { get; }
    public Action<Index1D, ArrayView<int>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>,
        int, int, int> EllApply { get; }
    public Action<KernelConfig, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<int>,
        ArrayView<double>, UpdateArgs> UpdateAndChange { get; }
    public Action<KernelConfig, ArrayView<double>, ArrayView<double>, int> SumPartials { get; }
    public Action<Index1D, ArrayView<double>, ArrayView<double>, int> Normalise { get; }

    /// <summary>The kernel methods this set loads (the PTX test checks that it compiles every one of them).</summary>
    public static IEnumerable<MethodInfo> Methods() =>
    [
        Method(typeof(PackingKernels), nameof(PackingKernels.FillDouble)), Method(typeof(PackingKernels), nameof(PackingKernels.FillInt)),
        Method(typeof(KnnKernels), nameof(KnnKernels.Refine)),
        Method(typeof(KnnKernels), nameof(KnnKernels.InDegrees)), Method(typeof(KnnKernels), nameof(KnnKernels.HalfLogInverseDegrees)),
        Method(typeof(KnnKernels), nameof(KnnKernels.Predict)), Method(typeof(EllKernels), nameof(EllKernels.Apply)),
        Method(typeof(UpdateKernels), nameof(UpdateKernels.UpdateAndChange)), Method(typeof(UpdateKernels), nameof(UpdateKernels.SumPartials)),
        Method(typeof(NormaliseKernels), nameof(NormaliseKernels.Normalise)),
    ];

    internal static MethodInfo Method(Type type, string name) => type.GetMethod(name, BindingFlags.Public | BindingFlags.Static)!;
}

/// <summary>
/// The kernels whose weights are computed in T (float or double): loaded once per engine and precision, on
/// first use, into typed delegates.
/// </summary>
internal sealed class PrecisionKernels<T, TReal> where T : unmanaged where TReal : struct, IReal<T>
{
    public PrecisionKernels(Accelerator accelerator)
    {
        Pack = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<T>, ArrayView<T>, int>(
            PackingKernels.Pack<T, TReal>);
        Fill = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, T>(PackingKernels.Fill<T, TReal>);
        Pass = accelerator.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>,
            ArrayView<T>, ArrayView<T>, ArrayView<double>, RbfPassArgs<T>>(RbfKernels.Pass<T, TReal>);
        Degrees = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<double>, ArrayView<T>, ArrayView<double>>(
            RbfKernels.Degrees<T, TReal>);
        PrepareApply = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<T>,
            ArrayView<T>, int, int>(RbfKernels.PrepareApply<T, TReal>);
        FinishApply = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<double>, ArrayView<double>, int>(
            RbfKernels.FinishApply<T, TReal>);
        PreparePredict = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<T>, ArrayView<T>, int>(
            RbfKernels.PreparePredict<T, TReal>);
        Candidates = accelerator.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<int>,
            KnnSearchArgs>(KnnKernels.Candidates<T, TReal>);
    }

    public Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<T>, ArrayView<T>, int> Pack { get; }
    public Action<Index1D, ArrayView<T>, T> Fill { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>,
        ArrayView<T>, ArrayView<T>, ArrayView<double>, RbfPassArgs<T>> Pass { get; }
    public Action<Index1D, ArrayView<T>, ArrayView<double>, ArrayView<T>, ArrayView<double>> Degrees { get; }
    public Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<T>, ArrayView<T>, int, int> PrepareApply { get; }
    public Action<Index1D, ArrayView<T>, ArrayView<double>, ArrayView<double>, int> FinishApply { get; }
    public Action<Index1D, ArrayView<double>, ArrayView<T>, ArrayView<T>, int> PreparePredict { get; }
    public Action<KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<int>, KnnSearchArgs> Candidates { get; }

    /// <summary>The generic kernel methods this set loads (instantiated per precision by the PTX test).</summary>
    public static IEnumerable<MethodInfo> GenericMethods() =>
    [
        StateKernels.Method(typeof(PackingKernels), nameof(PackingKernels.Pack)), StateKernels.Method(typeof(PackingKernels), nameof(PackingKernels.Fill)),
        StateKernels.Method(typeof(RbfKernels), nameof(RbfKernels.Pass)), StateKernels.Method(typeof(RbfKernels), nameof(RbfKernels.Degrees)),
        StateKernels.Method(typeof(RbfKernels), nameof(RbfKernels.PrepareApply)), StateKernels.Method(typeof(RbfKernels), nameof(RbfKernels.FinishApply)),
        StateKernels.Method(typeof(RbfKernels), nameof(RbfKernels.PreparePredict)), StateKernels.Method(typeof(KnnKernels), nameof(KnnKernels.Candidates)),
    ];
}
