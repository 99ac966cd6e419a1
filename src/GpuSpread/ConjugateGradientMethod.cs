namespace GpuSpread;

/// <summary>The n x c matrices of a conjugate-gradient run that an engine keeps in its own memory (the solution aside).</summary>
internal enum CgMatrix { Residual, Direction, Product }

/// <summary>
/// One linear system <c>A X = B</c> with one right-hand side per class, in an engine's memory: what
/// <see cref="ConjugateGradientMethod"/> asks of it. Only the rows that are unknowns take part (see the engines).
/// </summary>
internal interface IConjugateGradientSystem
{
    /// <summary>X = 0, R = B, P = R.</summary>
    void Start();

    /// <summary>The product = A P: one pass over the graph.</summary>
    void MultiplyDirection();

    /// <summary>Per class, the dot product of two matrices over the unknown rows.</summary>
    double[] Dots(CgMatrix a, CgMatrix b);

    /// <summary>X += step P, R -= step (A P), each class with its own step.</summary>
    void Step(double[] steps);

    /// <summary>P = R + beta P, each class with its own beta.</summary>
    void Direction(double[] betas);
}

/// <summary>
/// Conjugate gradients with one right-hand side per class (each class its own step lengths; all classes share each
/// pass over the graph), on any engine's <see cref="IConjugateGradientSystem"/>: the one copy of the method. Stops
/// when every class's residual is below tol times its right-hand side (2-norms); the iterations are the passes.
/// </summary>
internal static class ConjugateGradientMethod
{
    public static (int Iterations, bool Converged) Run(IConjugateGradientSystem system, int classes, DiffusionOptions options,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
    {
        system.Start();
        var bNorm = system.Dots(CgMatrix.Residual, CgMatrix.Residual);
        var rs = (double[])bNorm.Clone();
        int iterations = 0;
        while (true)
        {
            double worst = WorstRelativeResidual(rs, bNorm);
            progress?.Report(new StageProgress("cg", iterations, options.MaxIter, worst));
            if (worst <= options.Tol) return (iterations, true);
            if (iterations == options.MaxIter) return (iterations, false);
            cancellation.ThrowIfCancellationRequested();
            system.MultiplyDirection();
            iterations++;
            var pAp = system.Dots(CgMatrix.Direction, CgMatrix.Product);
            var steps = new double[classes];
            for (int c = 0; c < classes; c++) steps[c] = pAp[c] > 0 ? rs[c] / pAp[c] : 0;
            system.Step(steps);
            var rsNext = system.Dots(CgMatrix.Residual, CgMatrix.Residual);
            var betas = new double[classes];
            for (int c = 0; c < classes; c++) betas[c] = rs[c] > 0 ? rsNext[c] / rs[c] : 0;
            system.Direction(betas);
            rs = rsNext;
        }
    }

    private static double WorstRelativeResidual(double[] residualSquares, double[] rightHandSideSquares)
    {
        double worst = 0;
        for (int c = 0; c < residualSquares.Length; c++)
            if (rightHandSideSquares[c] > 0) worst = Math.Max(worst, Math.Sqrt(residualSquares[c] / rightHandSideSquares[c]));
        return worst;
    }
}
