using GpuSpread.Tests.Reference;

namespace GpuSpread.Tests.Engine;

/// <summary>
/// <c>--solver cg</c>: the same fixed point as the loop (the closed forms, solved with MathNet), in far fewer
/// passes over the graph where the loop is slow (alpha = 0.99), on every engine.
/// </summary>
public class ConjugateGradientTests(ITestOutputHelper output)
{
    private static (double[,] X, int[] Labels) Data(int seed, int n, int classes)
    {
        var (x, truth) = TestData.Blobs(seed, n, 5, classes, sigma: 0.5);
        return (x, TestData.PartialLabels(seed, truth, classes, 0.05));
    }

    public static TheoryData<string, Precision> Cases()
    {
        var data = new TheoryData<string, Precision>();
        foreach (var engine in TestData.EngineNames)
            foreach (var precision in new[] { Precision.Float64, Precision.Float32 })
                data.Add(engine, precision);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SpreadingReachesTheClosedFormInATenthOfThePasses(string engineName, Precision precision)
    {
        // Points along a jittered line, labeled only near its ends and middle: diffusion has to travel the whole
        // chain, the case where the loop at alpha = 0.99 needs hundreds of passes (on clustered data it converges
        // in a few, since Y0 hardly excites the slow modes there).
        const int seed = 101, n = 157, classes = 3;
        var random = new Random(seed);
        var x = new double[n, 2];
        for (int i = 0; i < n; i++)
        {
            x[i, 0] = 0.5 * i + 0.05 * TestData.Gaussian(random);
            x[i, 1] = 0.05 * TestData.Gaussian(random);
        }
        var labels = Enumerable.Repeat(-1, n).ToArray();
        labels[2] = 0; labels[n / 2] = 1; labels[n - 3] = 2;
        // The loop run until it is as close to the closed form as CG gets; compared pass for pass.
        var loop = DiffusionOptions.Spreading() with { Gamma = 1, Alpha = 0.99, MaxIter = 20000, Tol = 1e-8, Precision = precision, RowTile = 9, ColumnTile = 40 };
        var closed = ClosedForms.Spreading(TestData.Rounded(x, precision), labels, classes, loop);

        using var engine = TestData.CreateEngine(engineName);
        var fixedPoint = TestData.Fit(engine, x, labels, classes, loop);
        var cg = TestData.Fit(engine, x, labels, classes, loop with { Solver = Solver.ConjugateGradient, Tol = 1e-6 });
        double loopError = TestData.MaxDifference(fixedPoint.Distributions, closed);
        double cgError = TestData.MaxDifference(cg.Distributions, closed);
        output.WriteLine($"{engineName}: fixed point: {fixedPoint.NIter} passes, max error {loopError:E2}; cg: {cg.NIter} passes, max error {cgError:E2}");
        Assert.True(cg.Converged);
        Assert.True(cgError <= Math.Max(loopError, precision == Precision.Float64 ? 1e-7 : 2e-5), $"cg error {cgError:E2}, loop {loopError:E2}");
        Assert.True(cg.NIter * 10 <= fixedPoint.NIter, $"cg took {cg.NIter} passes, the loop {fixedPoint.NIter}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PropagationReachesTheHarmonicSolution(string engineName, Precision precision)
    {
        const int seed = 103, n = 121, classes = 3;
        var (x, labels) = Data(seed, n, classes);
        var options = DiffusionOptions.Propagation() with
        {
            Gamma = 0.5, Solver = Solver.ConjugateGradient, Tol = 1e-9, Precision = precision, RowTile = 7, ColumnTile = 24,
        };
        var harmonic = ClosedForms.Harmonic(TestData.Rounded(x, precision), labels, classes, options);

        using var engine = TestData.CreateEngine(engineName);
        var cg = TestData.Fit(engine, x, labels, classes, options);
        double error = TestData.MaxDifference(cg.Distributions, harmonic);
        output.WriteLine($"{engineName}: cg: {cg.NIter} passes, max error {error:E2}");
        Assert.True(cg.Converged);
        Assert.True(error < (precision == Precision.Float64 ? 1e-7 : 1e-4), $"max error {error:E2}");
    }

    [Fact]
    public void RefusesTheKnnKernel()
    {
        var options = DiffusionOptions.Spreading() with { Kernel = AffinityKernel.Knn, Solver = Solver.ConjugateGradient };
        var error = Assert.Throws<InvalidParameterException>(() => options.Validate(100));
        Assert.Equal("solver", error.Parameter);
        Assert.Contains("symmetric", error.Message);
    }
}
