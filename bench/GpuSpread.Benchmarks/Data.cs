namespace GpuSpread.Benchmarks;

/// <summary>The benchmark data: bench/harness/synth.py's model (d = 64, 10 classes, 1% labeled), made in C#.</summary>
internal static class Data
{
    public const int Dims = 64;
    public const int Classes = 10;

    public static (FeatureMatrix Features, int[] ClassIndex) Synthetic(int n, int seed = 0)
    {
        var random = new Random(seed);
        var centres = new double[Classes * Dims];
        for (int k = 0; k < centres.Length; k++) centres[k] = random.NextDouble() - 0.5;
        var x = new float[(long)n * Dims];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            int c = i % Classes;
            for (int k = 0; k < Dims; k++) x[(long)i * Dims + k] = (float)(centres[c * Dims + k] + 0.1 * Gaussian(random));
            labels[i] = i < Classes || random.NextDouble() < 0.01 ? c : -1;
        }
        return (FeatureMatrix.FromSingle(x, n, Dims), labels);
    }

    private static double Gaussian(Random random)
        => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
