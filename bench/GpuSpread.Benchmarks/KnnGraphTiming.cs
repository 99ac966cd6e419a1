using System.Diagnostics;
using System.Globalization;
using GpuSpread.Engine.Cpu;
using GpuSpread.IO;

namespace GpuSpread.Benchmarks;

/// <summary>
/// The knn graph of a data set built by the exact search and by NN-descent, each timed alone (the spatial order
/// included, as a fit runs it), with NN-descent's recall against the exact search: over every row when the exact
/// graph was built too, else on the 1,000 sampled rows a fit reports.
/// </summary>
internal static class KnnGraphTiming
{
    /// <param name="args">X.npy, then k (default 7), then exact, approximate or both (default).</param>
    public static int Run(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: knn-graph X.npy [k] [exact|approximate|both]");
            return 2;
        }
        var features = FeatureReader.Read(args[0]);
        int k = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7;
        string which = args.Length > 2 ? args[2] : "both";
        Console.WriteLine($"{args[0]}: {features.Rows} x {features.Cols}, k = {k}, {Environment.ProcessorCount} cores");
        int[]? exact = null;
        if (which != "approximate")
        {
            var clock = Stopwatch.StartNew();
            exact = GraphKnn.Find<float>(features, new DiffusionOptions(), KnnSearchMethod.Exact, k, null, default).Neighbours;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"exact: {clock.Elapsed.TotalSeconds:F2} s"));
        }
        if (which != "exact")
        {
            var clock = Stopwatch.StartNew();
            var found = GraphKnn.Find<float>(features, new DiffusionOptions(), KnnSearchMethod.Approximate, k, null, default);
            double seconds = clock.Elapsed.TotalSeconds;
            string whole = exact is null ? "" : string.Create(CultureInfo.InvariantCulture, $", recall over every row {Recall(exact, found.Neighbours, k):F4}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"approximate: {seconds:F2} s (the sampled recall included), recall on {found.Report.RecallSample} sampled rows {found.Report.Recall:F4}{whole}"));
        }
        return 0;
    }

    private static double Recall(int[] exact, int[] approximate, int k)
    {
        long found = 0;
        for (int row = 0; row < exact.Length / k; row++)
            foreach (int neighbour in exact.AsSpan(row * k, k))
                if (approximate.AsSpan(row * k, k).Contains(neighbour)) found++;
        return (double)found / exact.Length;
    }
}
