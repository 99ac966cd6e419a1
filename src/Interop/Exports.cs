using System.Runtime.InteropServices;
using System.Text.Json;
using GpuSpread.Engine.Gpu;
using GpuSpread.Graphs;

namespace GpuSpread.Interop;

/// <summary>
/// What Python raises for an error that crosses the boundary: each entry point returns one of these (Ok = 0) and,
/// when not Ok, a message. scikit-learn's own tests check the exception types, so bad input is a ValueError.
/// </summary>
internal enum ErrorKind
{
    Ok = 0,
    ValueError = 1,
    TypeError = 2,
    MemoryError = 3,
    NotImplementedError = 4,
    RuntimeError = 5,
    Cancelled = 6,
}

/// <summary>
/// The entry points the Python package calls in process (python/gpuspread/_native.py, through hostfxr's
/// load_assembly_and_get_function_pointer). Arrays are passed as pointers to C-contiguous memory that Python owns for
/// the duration of the call; features and labels are copied in, results copied out into arrays Python allocated. A fit
/// stays alive here behind a GCHandle until <see cref="Release"/>, so that predictions reuse its graph. Strings coming
/// back (fit information as JSON, error messages) are UTF-8, allocated here and freed by <see cref="FreeText"/>.
/// Nothing thrown escapes: an exception would end the Python process.
/// </summary>
public static unsafe class Exports
{
    /// <summary>Elements of a feature value: 4 for float32, 8 for float64, 0 for no features (a graph alone).</summary>
    private static FeatureMatrix? Features(void* data, int bytes, long rows, long cols)
    {
        if (bytes == 0) return null;
        if (rows < 0 || cols < 1 || rows > int.MaxValue || rows * cols > Array.MaxLength)
            throw new ArgumentException($"X has shape ({rows}, {cols}); at most {Array.MaxLength} values in all, and at least one feature");
        int length = (int)(rows * cols);
        return bytes switch
        {
            4 => FeatureMatrix.FromSingle(new ReadOnlySpan<float>(data, length).ToArray(), (int)rows, (int)cols),
            8 => FeatureMatrix.FromDouble(new ReadOnlySpan<double>(data, length).ToArray(), (int)rows, (int)cols),
            _ => throw new ArgumentException($"feature values of {bytes} bytes; float32 (4) or float64 (8) are allowed"),
        };
    }

    /// <summary>
    /// Fits a model: features (<paramref name="featureBytes"/> 4 or 8) and/or a directed graph given as an edge list on
    /// <paramref name="graphNodes"/> nodes (<paramref name="edges"/> &gt; 0 or <paramref name="graphNodes"/> &gt; 0), labels as
    /// class indices (-1 unlabeled), options as UTF-8 JSON (<see cref="FitRequest"/>). On success, <paramref name="handle"/>
    /// holds the fitted model and <paramref name="info"/> a JSON object with rows, classes, n_iter, converged, the engine
    /// and the precision.
    /// </summary>
    [UnmanagedCallersOnly]
    public static int Fit(byte* options, int optionsLength, void* features, int featureBytes, long rows, long cols,
        long* labels, long labelCount, long graphNodes, long edges, int* sources, int* targets, double* weights,
        IntPtr cancellation, IntPtr* handle, IntPtr* info, IntPtr* error)
    {
        *handle = IntPtr.Zero;
        *info = IntPtr.Zero;
        return Guard(error, () =>
        {
            var request = FitRequest.Parse(new ReadOnlySpan<byte>(options, optionsLength));
            var featureMatrix = Features(features, featureBytes, rows, cols);
            SparseGraph? graph = null;
            if (graphNodes > 0)
            {
                if (graphNodes > int.MaxValue || edges < 0 || edges > Array.MaxLength)
                    throw new ArgumentException($"a graph of {graphNodes} nodes and {edges} edges is beyond what an array holds");
                graph = SparseGraph.FromEdges((int)graphNodes, new ReadOnlySpan<int>(sources, (int)edges),
                    new ReadOnlySpan<int>(targets, (int)edges), new ReadOnlySpan<double>(weights, (int)edges), symmetrise: false);
            }
            var input = GraphInput.Of(featureMatrix, graph);
            if (labelCount > int.MaxValue) throw new ArgumentException($"{labelCount} labels; at most {int.MaxValue} rows");
            var labelArray = new ReadOnlySpan<long>(labels, (int)labelCount).ToArray();
            var fitted = FittedModel.Fit(request, input, labelArray, Token(cancellation));
            *info = Text(fitted.Describe());
            *handle = GCHandle.ToIntPtr(GCHandle.Alloc(fitted));
        });
    }

    /// <summary>Copies the fitted n x c distributions (row-major) into <paramref name="destination"/> of <paramref name="length"/> values.</summary>
    [UnmanagedCallersOnly]
    public static int Distributions(IntPtr handle, double* destination, long length, IntPtr* error) => Guard(error, () =>
    {
        var distributions = Model(handle).Distributions;
        if (length != distributions.Length)
            throw new ArgumentException($"room for {length} values, but the distributions have {distributions.Length}");
        distributions.CopyTo(new Span<double>(destination, distributions.Length));
    });

    /// <summary>
    /// scikit-learn's predict_proba for new rows (<paramref name="rows"/> x <paramref name="cols"/>, float32 or float64)
    /// into <paramref name="destination"/> (rows x c, row-major).
    /// </summary>
    [UnmanagedCallersOnly]
    public static int PredictProba(IntPtr handle, void* features, int featureBytes, long rows, long cols, IntPtr cancellation,
        double* destination, long length, IntPtr* error) => Guard(error, () =>
    {
        var model = Model(handle);
        var newFeatures = Features(features, featureBytes, rows, cols) ?? throw new ArgumentException("predict_proba needs features");
        var probabilities = model.PredictProba(newFeatures, Token(cancellation));
        if (length != probabilities.Length)
            throw new ArgumentException($"room for {length} values, but the probabilities have {probabilities.Length}");
        probabilities.CopyTo(new Span<double>(destination, probabilities.Length));
    });

    /// <summary>Frees a fitted model (its graph and engine); a zero handle is ignored.</summary>
    [UnmanagedCallersOnly]
    public static void Release(IntPtr handle) => DisposeAndFree(handle);

    /// <summary>Fitted models not yet released: the Python tests check that an estimator's deletion frees its model.</summary>
    [UnmanagedCallersOnly]
    public static long LiveModels() => FittedModel.Live;

    /// <summary>A cancellation source for the calls that take one: Python cancels it on Ctrl-C.</summary>
    [UnmanagedCallersOnly]
    public static IntPtr NewCancellation() => GCHandle.ToIntPtr(GCHandle.Alloc(new CancellationTokenSource()));

    [UnmanagedCallersOnly]
    public static void Cancel(IntPtr cancellation) => Source(cancellation)?.Cancel();

    [UnmanagedCallersOnly]
    public static void ReleaseCancellation(IntPtr cancellation) => DisposeAndFree(cancellation);

    /// <summary>Disposes a handle's object (a model or a cancellation source) and frees the handle; zero is ignored.</summary>
    private static void DisposeAndFree(IntPtr handle)
    {
        if (handle == IntPtr.Zero) return;
        var gcHandle = GCHandle.FromIntPtr(handle);
        (gcHandle.Target as IDisposable)?.Dispose();
        gcHandle.Free();
    }

    /// <summary>Frees a string this side returned.</summary>
    [UnmanagedCallersOnly]
    public static void FreeText(IntPtr text) => Marshal.FreeCoTaskMem(text);

    private static CancellationTokenSource? Source(IntPtr cancellation) =>
        cancellation == IntPtr.Zero ? null : (CancellationTokenSource?)GCHandle.FromIntPtr(cancellation).Target;

    private static CancellationToken Token(IntPtr cancellation) => Source(cancellation)?.Token ?? CancellationToken.None;

    private static FittedModel Model(IntPtr handle) =>
        handle == IntPtr.Zero ? throw new InvalidOperationException("no fitted model (a zero handle)") : (FittedModel)GCHandle.FromIntPtr(handle).Target!;

    private static IntPtr Text(string text) => Marshal.StringToCoTaskMemUTF8(text);

    private static int Guard(IntPtr* error, Action action)
    {
        *error = IntPtr.Zero;
        try
        {
            action();
            return (int)ErrorKind.Ok;
        }
        catch (Exception exception)
        {
            *error = Text(Message(exception));
            return (int)Classify(exception);
        }
    }

    /// <summary>The message Python shows: ours as they are, without ArgumentException's " (Parameter 'x')" tail (they name
    /// the parameter already); others' with their type, which says more than the Python exception's.</summary>
    private static string Message(Exception exception)
    {
        string message = exception.Message;
        if (exception is ArgumentException { ParamName: { } name } && message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal))
            message = message[..^$" (Parameter '{name}')".Length];
        return exception is InvalidParameterException or InputDataException or EngineCapabilityException or GpuUnavailableException or OperationCanceledException
            ? message
            : $"{exception.GetType().Name}: {message}";
    }

    private static ErrorKind Classify(Exception exception) => exception switch
    {
        OperationCanceledException => ErrorKind.Cancelled,
        InvalidParameterException or InputDataException or EngineCapabilityException or ArgumentException or JsonException => ErrorKind.ValueError,
        OutOfMemoryException => ErrorKind.MemoryError,
        NotSupportedException => ErrorKind.NotImplementedError,
        _ => ErrorKind.RuntimeError,
    };
}

/// <summary>A fit kept alive for Python: the estimator, the engine it runs on, and how that engine was chosen.</summary>
internal sealed class FittedModel : IDisposable
{
    private readonly IDiffusionEngine _engine;
    private readonly LabelDiffusion _model;
    private readonly string _choice;
    private static long s_live;
    private int _disposed;

    private FittedModel(IDiffusionEngine engine, LabelDiffusion model, string choice)
    {
        _engine = engine;
        _model = model;
        _choice = choice;
        Interlocked.Increment(ref s_live);
    }

    public static long Live => Interlocked.Read(ref s_live);

    public static FittedModel Fit(FitRequest request, GraphInput input, long[] labels, CancellationToken cancellation)
    {
        input.Validate(request.Options);
        IDiffusionEngine engine;
        string choice;
        try
        {
            engine = Engines.Create(request.Engine, out choice, input, request.Options);
        }
        catch (GpuSpread.Engine.Gpu.GpuUnavailableException error)
        {
            throw new GpuSpread.Engine.Gpu.GpuUnavailableException(
                $"engine='gpu': {error.Message}; use engine='cpu' or 'auto', or 'gpu-sim' to run the GPU kernels on ILGPU's CPU simulator", error);
        }
        var model = new LabelDiffusion(engine, request.Options);
        try
        {
            model.Fit(input, labels, cancellation: cancellation);
            return new FittedModel(engine, model, choice);
        }
        catch
        {
            model.Dispose();
            engine.Dispose();
            throw;
        }
    }

    public ReadOnlySpan<double> Distributions => _model.LabelDistributions.AsSpan();

    public ReadOnlySpan<double> PredictProba(FeatureMatrix newFeatures, CancellationToken cancellation) => _model.PredictProba(newFeatures, cancellation).AsSpan();

    /// <summary>What the fit produced and ran on, for the Python estimator's attributes and warnings.</summary>
    public string Describe()
    {
        var result = _model.Result;
        var search = _model.KnnSearchReport;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("rows", result.Rows);
            json.WriteNumber("classes", result.Classes);
            json.WriteNumber("n_iter", result.NIter);
            json.WriteBoolean("converged", result.Converged);
            json.WriteString("engine", _model.Engine.Name);
            json.WriteString("device", _model.Engine.Device);
            json.WriteString("engine_choice", _choice);
            json.WriteString("precision", OptionNames.Precision[_model.FitPrecision]);
            json.WriteString("precision_escalation", _model.PrecisionEscalation);
            json.WriteString("knn_search", search is null ? null : OptionNames.KnnSearch[search.Method]);
            if (search is null) json.WriteNull("knn_recall");
            else json.WriteNumber("knn_recall", search.Recall);
            json.WriteNumber("graph_seconds", _model.GraphSeconds);
            json.WriteNumber("diffuse_seconds", _model.DiffuseSeconds);
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _model.Dispose();
        _engine.Dispose();
        Interlocked.Decrement(ref s_live);
    }
}
