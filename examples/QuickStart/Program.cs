// The README's C# example, as it stands there from its first using line: tests/ReadmeTests.cs checks that the README
// shows this code and runs it on the bundled digits.
using GpuSpread;
using GpuSpread.IO;

string digits = args.Length > 0 ? args[0] : "examples/digits";
var features = FeatureReader.Read(Path.Combine(digits, "X.csv.gz"));     // 1797 rows x 64 pixels
int[] labels = LabelReader.Read(Path.Combine(digits, "y.csv"));         // 100 digits, -1 = unlabeled
using var engine = Engines.Auto(out string why, features);              // a usable GPU, else the CPU
Console.Error.WriteLine(why);
using var model = new LabelSpreading(engine) { Gamma = 0.25 };          // scikit-learn's parameters
model.Fit(features, labels);
Console.WriteLine($"n_iter {model.NIter}; P(row 1 = digit 1) = {model.LabelDistributions[1, 1]:F3}");
int[] truth = LabelReader.Read(Path.Combine(digits, "y_true.csv"));
Console.WriteLine($"accuracy {model.Score(features, truth):F4}");        // scikit-learn's score
