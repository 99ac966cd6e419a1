// The README's C# example, as it stands there from its first using line: tests/ReadmeTests.cs checks that the README
// shows this code and runs it on the bundled digits.
using GpuSpread;
using GpuSpread.Engine.Cpu;
using GpuSpread.IO;

string digits = args.Length > 0 ? args[0] : "examples/digits";
var features = FeatureReader.Read(Path.Combine(digits, "X.csv.gz"));            // 1797 rows x 64 pixels
var labels = LabelReader.Read(Path.Combine(digits, "y.csv")).Select(l => (long)l).ToArray(); // -1 = unlabeled
using var engine = new CpuEngine();
using var model = new LabelSpreading(engine) { Gamma = 0.25 };                  // scikit-learn's parameters
model.Fit(features, labels);
Console.WriteLine($"n_iter {model.NIter}; the first five rows are {string.Join(", ", model.Transduction[..5])}");
Console.WriteLine($"P(row 0 = digit 0) = {model.LabelDistributions[0, 0]:F3}");
