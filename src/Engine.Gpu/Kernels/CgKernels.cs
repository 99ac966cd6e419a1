using ILGPU;

namespace GpuSpread.Engine.Gpu.Kernels;

/// <summary>
/// Conjugate gradients on the fixed points' linear systems (the CPU engine's ConjugateGradient), on n x c float64
/// matrices with one right-hand side per class: the system's product from an operator application, the per-class
/// dot products (reduced deterministically, as the loop's change is), the steps, and the final distributions.
/// Spreading solves for every row; propagation for the unlabeled ones (labels[i] &lt; 0), labeled rows staying Y0.
/// </summary>
internal static class CgKernels
{
    /// <summary>Row i of F = value * Y0 (one-hot labeled rows, zero rows elsewhere).</summary>
    [Kernel(grouped: false)]
    public static void OneHot(
        Index1D i,               // row
        ArrayView<int> labels,   // class index per row, -1 unlabeled
        ArrayView<double> f,     // out: classes values per row
        int classes,             // row width
        double value)            // the labeled entries' value
    {
        long start = (long)i.X * classes;
        if (i >= labels.Length || start + classes > f.Length) return;
        for (int c = 0; c < classes; c++) f[start + c] = 0;
        if (labels[i] >= 0 && labels[i] < classes) f[start + labels[i]] = value;
    }

    /// <summary>
    /// y = the system's matrix times x, from the operator's output on x (log-scales and rows): spreading
    /// <c>x - alpha S x</c>, propagation <c>D x - W x</c> on the unknown rows and 0 on the others; with
    /// <paramref name="plain"/>, only <c>Op x</c> itself (rows scaled back, labeled rows of propagation zeroed when
    /// <paramref name="zeroKnown"/>).
    /// </summary>
    [Kernel(grouped: false)]
    public static void Product(
        Index1D i,                // row
        ArrayView<double> x,      // the operand, classes values per row
        ArrayView<double> outLog, // the operator's output log-scales on x
        ArrayView<double> y,      // in: the operator's output rows on x; out: the product
        ArrayView<double> degrees,// propagation: row sums of W
        ArrayView<int> labels,    // class index per row, -1 unlabeled
        int classes,              // row width
        int spreading,            // 1: spreading, 0: propagation
        double alpha,             // spreading's alpha
        int plain,                // 1: Op x only
        int zeroKnown)            // with plain: zero the labeled rows
    {
        long start = (long)i.X * classes;
        if (i >= outLog.Length || i >= labels.Length || start + classes > y.Length || start + classes > x.Length) return;
        double scale = DeviceMath.Exp(outLog[i]);
        bool known = spreading == 0 && labels[i] >= 0;
        double degree = spreading == 0 && plain == 0 && i < degrees.Length ? degrees[i] : 0;
        for (int c = 0; c < classes; c++)
        {
            double applied = DeviceMath.Multiply(y[start + c], scale);
            y[start + c] = plain != 0 ? (zeroKnown != 0 && known ? 0 : applied)
                : known ? 0
                : spreading != 0 ? x[start + c] - DeviceMath.Multiply(alpha, applied)
                : DeviceMath.Multiply(degree, x[start + c]) - applied;
        }
    }

    /// <summary>Each group's share of the per-class dot products of a and b over the unknown rows.</summary>
    [Kernel(grouped: true)]
    public static void ColumnDots(
        ArrayView<double> a,        // n x classes
        ArrayView<double> b,        // n x classes
        ArrayView<int> labels,      // class index per row, -1 unlabeled
        ArrayView<double> partials, // out: classes values per group
        int rows,                   // n
        int classes,                // row width
        int unknownOnly)            // 1: only the unlabeled rows count (propagation)
    {
        var scratch = SharedMemory.GetDynamic<double>();
        int i = Grid.GlobalIndex.X;
        bool counts = i < rows && i < labels.Length && (unknownOnly == 0 || labels[i] < 0) && (long)(i + 1) * classes <= a.Length
                      && (long)(i + 1) * classes <= b.Length;
        for (int c = 0; c < classes; c++)
        {
            double value = counts ? DeviceMath.Multiply(a[(long)i * classes + c], b[(long)i * classes + c]) : 0;
            double total = UpdateKernels.GroupSum(scratch, value);
            long at = (long)Grid.IdxX * classes + c;
            if (Group.IdxX == 0 && at < partials.Length) partials[at] = total;
            Group.Barrier();
        }
    }

    /// <summary>One group adds the groups' partial dot products, class by class, in a fixed order.</summary>
    [Kernel(grouped: true)]
    public static void SumColumnPartials(
        ArrayView<double> partials, // classes values per group
        ArrayView<double> result,   // out: one dot product per class
        int groups,                 // groups that wrote partials
        int classes)                // row width
    {
        var scratch = SharedMemory.GetDynamic<double>();
        for (int c = 0; c < classes; c++)
        {
            double sum = 0;
            for (int p = Group.IdxX; p < groups; p += Group.DimX)
                if ((long)p * classes + c < partials.Length) sum += partials[(long)p * classes + c];
            double total = UpdateKernels.GroupSum(scratch, sum);
            if (Group.IdxX == 0 && c < result.Length) result[c] = total;
            Group.Barrier();
        }
    }

    /// <summary>x += step p, r -= step ap, each class with its own step.</summary>
    [Kernel(grouped: false)]
    public static void Step(
        Index1D e,                // element of the n x classes matrices
        ArrayView<double> x,      // the solution
        ArrayView<double> r,      // the residual
        ArrayView<double> p,      // the direction
        ArrayView<double> ap,     // the system's matrix times p
        ArrayView<double> steps,  // one step length per class
        int classes)              // row width
    {
        if (e >= x.Length || e >= r.Length || e >= p.Length || e >= ap.Length) return;
        double step = steps[e % classes];
        x[e] += DeviceMath.Multiply(step, p[e]);
        r[e] -= DeviceMath.Multiply(step, ap[e]);
    }

    /// <summary>p = r + beta p, each class with its own beta.</summary>
    [Kernel(grouped: false)]
    public static void Direction(
        Index1D e,                // element of the n x classes matrices
        ArrayView<double> r,      // the residual
        ArrayView<double> p,      // the direction
        ArrayView<double> betas,  // one beta per class
        int classes)              // row width
    {
        if (e >= r.Length || e >= p.Length) return;
        p[e] = r[e] + DeviceMath.Multiply(betas[e % classes], p[e]);
    }

    /// <summary>The distributions: the solution's rows (Y0 on propagation's labeled rows), rounding's tiny negative
    /// entries counted as 0, divided by their sums.</summary>
    [Kernel(grouped: false)]
    public static void Distributions(
        Index1D i,                // row
        ArrayView<double> x,      // the solution
        ArrayView<int> labels,    // class index per row, -1 unlabeled
        ArrayView<double> result, // out: the distributions
        int classes,              // row width
        int spreading)            // 1: spreading, 0: propagation
    {
        long start = (long)i.X * classes;
        if (i >= labels.Length || start + classes > x.Length || start + classes > result.Length) return;
        bool known = spreading == 0 && labels[i] >= 0;
        for (int c = 0; c < classes; c++)
        {
            double value = known ? (c == labels[i] ? 1.0 : 0.0) : x[start + c];
            result[start + c] = value > 0 ? value : 0;
        }
        NormaliseKernels.NormaliseInPlace(result, start, classes);
    }
}
