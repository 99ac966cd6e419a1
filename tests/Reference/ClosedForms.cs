using MathNet.Numerics.LinearAlgebra;

namespace GpuSpread.Tests.Reference;

/// <summary>
/// The fixed points of both loops in closed form, solved with MathNet on the dense float64 operators, rows
/// normalised as the estimators' outputs are: spreading <c>(1 - alpha)(I - alpha S)^-1 Y0</c>, propagation
/// Zhu's harmonic solution <c>F_u = (I - T_uu)^-1 T_ul Y_l</c> with the labeled rows at Y_l.
/// </summary>
public static class ClosedForms
{
    public static double[,] Spreading(double[,] x, int[] labels, int classes, DiffusionOptions options)
    {
        int n = x.GetLength(0);
        var s = Matrix<double>.Build.DenseOfArray(DenseReference.Operator(DenseReference.Affinity(x, options), DiffusionModel.Spreading));
        var y0 = Matrix<double>.Build.Dense(n, classes, (i, c) => labels[i] == c ? 1 : 0);
        return Normalised((Matrix<double>.Build.DenseIdentity(n) - options.Alpha * s).Solve((1 - options.Alpha) * y0));
    }

    public static double[,] Harmonic(double[,] x, int[] labels, int classes, DiffusionOptions options)
    {
        int n = x.GetLength(0);
        var t = DenseReference.Operator(DenseReference.Affinity(x, options), DiffusionModel.Propagation);
        int[] unlabeled = Enumerable.Range(0, n).Where(i => labels[i] < 0).ToArray();
        int[] labeled = Enumerable.Range(0, n).Where(i => labels[i] >= 0).ToArray();
        var tuu = Matrix<double>.Build.Dense(unlabeled.Length, unlabeled.Length, (a, b) => t[unlabeled[a], unlabeled[b]]);
        var tul = Matrix<double>.Build.Dense(unlabeled.Length, labeled.Length, (a, b) => t[unlabeled[a], labeled[b]]);
        var yl = Matrix<double>.Build.Dense(labeled.Length, classes, (a, c) => labels[labeled[a]] == c ? 1 : 0);
        var fu = (Matrix<double>.Build.DenseIdentity(unlabeled.Length) - tuu).Solve(tul * yl);
        var harmonic = Matrix<double>.Build.Dense(n, classes);
        for (int a = 0; a < unlabeled.Length; a++) harmonic.SetRow(unlabeled[a], fu.Row(a));
        for (int a = 0; a < labeled.Length; a++) harmonic.SetRow(labeled[a], yl.Row(a));
        return Normalised(harmonic);
    }

    private static double[,] Normalised(Matrix<double> f)
    {
        var result = f.ToArray();
        for (int i = 0; i < f.RowCount; i++)
        {
            double sum = f.Row(i).Sum();
            for (int c = 0; c < f.ColumnCount; c++) result[i, c] = sum == 0 ? 0 : result[i, c] / sum;
        }
        return result;
    }
}
