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
        SparseApply = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<double>, ArrayView<double>,
            ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, int, int>(SparseKernels.Apply);
        LogRowSums = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>>(SparseKernels.LogRowSums);
        Mix = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>,
            ArrayView<double>, ArrayView<double>, double, double, int, int>(SparseKernels.Mix);
        CgOneHot = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<double>, int, double>(CgKernels.OneHot);
        CgProduct = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>,
            ArrayView<int>, int, int, double, int, int>(CgKernels.Product);
        CgColumnDots = accelerator.LoadStreamKernel<ArrayView<double>, ArrayView<double>, ArrayView<int>, ArrayView<double>, int, int, int>(
            CgKernels.ColumnDots);
        CgSumColumnPartials = accelerator.LoadStreamKernel<ArrayView<double>, ArrayView<double>, int, int>(CgKernels.SumColumnPartials);
        CgStep = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>,
            ArrayView<double>, int>(CgKernels.Step);
        CgDirection = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, int>(CgKernels.Direction);
        CgDistributions = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<int>, ArrayView<double>, int, int>(
            CgKernels.Distributions);
        UpdateAndChange = accelerator.LoadStreamKernel<ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>,
            ArrayView<int>, ArrayView<double>, UpdateArgs>(UpdateKernels.UpdateAndChange);
        SumPartials = accelerator.LoadStreamKernel<ArrayView<double>, ArrayView<double>, int>(UpdateKernels.SumPartials);
        PoissonUpdate = accelerator.LoadStreamKernel<ArrayView<double>, ArrayView<double>, ArrayView<int>, ArrayView<double>, ArrayView<double>,
            ArrayView<double>, PoissonArgs>(UpdateKernels.PoissonUpdate);
        MaxPartials = accelerator.LoadStreamKernel<ArrayView<double>, ArrayView<double>, int>(UpdateKernels.MaxPartials);
        Normalise = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, int>(NormaliseKernels.Normalise);
    }

    public Action<Index1D, ArrayView<double>, double> FillDouble { get; }
    public Action<Index1D, ArrayView<int>, int> FillInt { get; }
    public Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<int>, ArrayView<double>, ArrayView<int>, ArrayView<int>,
        int, int, int, int, int> Refine { get; }
    public Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>,
        ArrayView<double>, ArrayView<double>, int, int> SparseApply { get; }
    public Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>> LogRowSums { get; }
    public Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>,
        double, double, int, int> Mix { get; }
    public Action<Index1D, ArrayView<int>, ArrayView<double>, int, double> CgOneHot { get; }
    public Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<int>, int, int, double, int, int>
        CgProduct { get; }
    public Action<KernelConfig, ArrayView<double>, ArrayView<double>, ArrayView<int>, ArrayView<double>, int, int, int> CgColumnDots { get; }
    public Action<KernelConfig, ArrayView<double>, ArrayView<double>, int, int> CgSumColumnPartials { get; }
    public Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, int> CgStep { get; }
    public Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, int> CgDirection { get; }
    public Action<Index1D, ArrayView<double>, ArrayView<int>, ArrayView<double>, int, int> CgDistributions { get; }
    public Action<KernelConfig, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<int>,
        ArrayView<double>, UpdateArgs> UpdateAndChange { get; }
    public Action<KernelConfig, ArrayView<double>, ArrayView<double>, int> SumPartials { get; }
    public Action<KernelConfig, ArrayView<double>, ArrayView<double>, ArrayView<int>, ArrayView<double>, ArrayView<double>, ArrayView<double>,
        PoissonArgs> PoissonUpdate { get; }
    public Action<KernelConfig, ArrayView<double>, ArrayView<double>, int> MaxPartials { get; }
    public Action<Index1D, ArrayView<double>, ArrayView<double>, int> Normalise { get; }

    /// <summary>The kernel methods this set loads (the PTX test checks that it compiles every one of them).</summary>
    public static IEnumerable<MethodInfo> Methods() =>
    [
        Method(typeof(PackingKernels), nameof(PackingKernels.FillDouble)), Method(typeof(PackingKernels), nameof(PackingKernels.FillInt)),
        Method(typeof(KnnKernels), nameof(KnnKernels.Refine)),
        Method(typeof(SparseKernels), nameof(SparseKernels.Apply)), Method(typeof(SparseKernels), nameof(SparseKernels.LogRowSums)),
        Method(typeof(SparseKernels), nameof(SparseKernels.Mix)),
        Method(typeof(CgKernels), nameof(CgKernels.OneHot)), Method(typeof(CgKernels), nameof(CgKernels.Product)),
        Method(typeof(CgKernels), nameof(CgKernels.ColumnDots)), Method(typeof(CgKernels), nameof(CgKernels.SumColumnPartials)),
        Method(typeof(CgKernels), nameof(CgKernels.Step)), Method(typeof(CgKernels), nameof(CgKernels.Direction)),
        Method(typeof(CgKernels), nameof(CgKernels.Distributions)),
        Method(typeof(UpdateKernels), nameof(UpdateKernels.UpdateAndChange)), Method(typeof(UpdateKernels), nameof(UpdateKernels.SumPartials)),
        Method(typeof(UpdateKernels), nameof(UpdateKernels.PoissonUpdate)), Method(typeof(UpdateKernels), nameof(UpdateKernels.MaxPartials)),
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
