using System.Globalization;
using GpuSpread.Active;
using SkiaSharp;

namespace GpuSpread.Runner;

/// <summary>
/// The PNG figures of <c>gpuspread active</c>: the grid of the rows picked in each round with "predicted / true"
/// under each (the figure of scikit-learn's digits active-learning example), drawn with SkiaSharp; and the
/// learning curve (accuracy on the unlabeled rows against the number of labels), drawn with ScottPlot.
/// </summary>
public static class ActiveFigures
{
    public const string PickedFile = "picked.png";
    public const string LearningCurveFile = "learning_curve.png";

    private const int MaxColumns = 10;
    private const int MaxRoundsShown = 20;

    /// <summary>Prefers a sans-serif face that is installed (Skia falls back to a serif one).</summary>
    private static string FontFamily { get; } = new[] { "DejaVu Sans", "Liberation Sans", "Arial", "Helvetica" }
        .FirstOrDefault(name => SKFontManager.Default.FontFamilies.Contains(name)) ?? SKTypeface.Default.FamilyName;

    /// <summary>
    /// The picked rows of each round (at most 10 per round and 20 rounds), each drawn as an image of
    /// <paramref name="shape"/> (white = lowest value, black = highest, as matplotlib's gray_r), captioned
    /// "predicted / true" (red when they differ); without an answer key, "predicted / answer" ("?" = none).
    /// </summary>
    public static void WritePickedGrid(string path, IReadOnlyList<RoundResult> rounds, FeatureMatrix features, (int Rows, int Cols) shape,
        IReadOnlyList<long>? truth)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        ArgumentNullException.ThrowIfNull(features);
        var shown = rounds.Where(r => r.Picked.Count > 0).Take(MaxRoundsShown).ToList();
        if (shown.Count == 0) return;
        int columns = Math.Min(MaxColumns, shown.Max(r => r.Picked.Count));
        int pixel = Math.Max(1, 64 / Math.Max(shape.Rows, shape.Cols));
        int imageWidth = pixel * shape.Cols, imageHeight = pixel * shape.Rows;
        int cellWidth = Math.Max(imageWidth, 84) + 16, cellHeight = imageHeight + 40;
        const int Left = 110, Top = 70;
        int height = Top + shown.Count * cellHeight + 10;

        double low = double.PositiveInfinity, high = double.NegativeInfinity;
        foreach (var round in shown)
            foreach (var row in round.Picked)
                for (int f = 0; f < features.Cols; f++)
                {
                    low = Math.Min(low, features[row.Row, f]);
                    high = Math.Max(high, features[row.Row, f]);
                }

        using var typeface = SKTypeface.FromFamilyName(FontFamily);
        using var bold = SKTypeface.FromFamilyName(FontFamily, SKFontStyle.Bold);
        using var titleFont = new SKFont(bold, 16);
        using var font = new SKFont(typeface, 13);
        const string Title = "Rows picked for labeling in each round, most uncertain first";
        string subtitle = truth is null
            ? "under each: the model's prediction / the answer given (? = skipped or not answered)"
            : "under each: the model's prediction / the true label (red: the prediction was wrong)";
        int width = (int)Math.Ceiling(Math.Max(Left + columns * cellWidth + 10, 20 + Math.Max(titleFont.MeasureText(Title), font.MeasureText(subtitle))));

        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var wrong = new SKPaint { Color = new SKColor(0xC6, 0x28, 0x28), IsAntialias = true };
        using var fill = new SKPaint { IsAntialias = false };

        canvas.DrawText(Title, 10, 24, titleFont, ink);
        canvas.DrawText(subtitle, 10, 46, font, ink);
        for (int r = 0; r < shown.Count; r++)
        {
            var round = shown[r];
            float y0 = Top + r * cellHeight;
            canvas.DrawText($"round {round.Round}", 10, y0 + imageHeight / 2f - 4, font, ink);
            canvas.DrawText($"fit with {round.LabeledCount}", 10, y0 + imageHeight / 2f + 12, font, ink);
            canvas.DrawText("labels", 10, y0 + imageHeight / 2f + 28, font, ink);
            for (int c = 0; c < Math.Min(columns, round.Picked.Count); c++)
            {
                var picked = round.Picked[c];
                float x0 = Left + c * cellWidth + (cellWidth - imageWidth) / 2f;
                for (int py = 0; py < shape.Rows; py++)
                    for (int px = 0; px < shape.Cols; px++)
                    {
                        double v = features[picked.Row, py * shape.Cols + px];
                        double t = high > low ? (v - low) / (high - low) : 0;
                        byte grey = (byte)Math.Round(255 * (1 - t));
                        fill.Color = new SKColor(grey, grey, grey);
                        canvas.DrawRect(x0 + px * pixel, y0 + py * pixel, pixel, pixel, fill);
                    }
                using var frame = new SKPaint { Color = SKColors.LightGray, Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
                canvas.DrawRect(x0 - 0.5f, y0 - 0.5f, imageWidth + 1, imageHeight + 1, frame);

                string second = truth is not null
                    ? Text(truth[picked.Row])
                    : round.Answers.FirstOrDefault(a => a.Row == picked.Row) is { Label: { } given } ? Text(given) : "?";
                bool right = truth is null || truth[picked.Row] == picked.Predicted;
                string caption = $"{picked.Predicted.ToString(CultureInfo.InvariantCulture)} / {second}";
                float captionWidth = font.MeasureText(caption);
                canvas.DrawText(caption, Left + c * cellWidth + (cellWidth - captionWidth) / 2f, y0 + imageHeight + 18, font, right ? ink : wrong);
                string rowText = $"row {picked.Row.ToString(CultureInfo.InvariantCulture)}";
                using var small = new SKFont(typeface, 10);
                canvas.DrawText(rowText, Left + c * cellWidth + (cellWidth - small.MeasureText(rowText)) / 2f, y0 + imageHeight + 31, small,
                    new SKPaint { Color = SKColors.Gray, IsAntialias = true });
            }
        }
        Save(path, surface);
    }

    /// <summary>Accuracy on the rows still unlabeled against the number of labels, per round and after the last answers.</summary>
    public static void WriteLearningCurve(string path, IReadOnlyList<RoundResult> rounds, FinalFit? final, string title)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        var points = rounds.Where(r => r.Accuracy is not null).Select(r => ((double)r.LabeledCount, r.Accuracy!.Value)).ToList();
        if (points.Count == 0) return;
        var plot = new ScottPlot.Plot();
        plot.Font.Set(FontFamily);
        var curve = plot.Add.Scatter(points.Select(p => p.Item1).ToArray(), points.Select(p => p.Item2).ToArray());
        curve.LegendText = "model of each round";
        curve.MarkerSize = 8;
        curve.LineWidth = 2;
        foreach (var (x, y) in points)
        {
            var label = plot.Add.Text(Percent(y), x, y);
            label.LabelFontSize = 12;
            label.LabelAlignment = ScottPlot.Alignment.LowerCenter;
            label.OffsetY = -8;
        }
        double lowest = points.Min(p => p.Item2);
        if (final?.Accuracy is { } finalAccuracy && final.LabeledCount > points[^1].Item1)
        {
            var last = plot.Add.Scatter(new[] { points[^1].Item1, final.LabeledCount }, new[] { points[^1].Item2, finalAccuracy });
            last.LegendText = "after the last round's answers";
            last.LinePattern = ScottPlot.LinePattern.Dashed;
            last.MarkerSize = 8;
            last.LineWidth = 2;
            var label = plot.Add.Text(Percent(finalAccuracy), final.LabeledCount, finalAccuracy);
            label.LabelFontSize = 12;
            label.LabelAlignment = ScottPlot.Alignment.LowerCenter;
            label.OffsetY = -8;
            lowest = Math.Min(lowest, finalAccuracy);
        }
        var ticks = points.Select(p => p.Item1).Append(final?.LabeledCount ?? points[^1].Item1).Distinct().ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks,
            [.. ticks.Select(t => t.ToString(CultureInfo.InvariantCulture))]);
        plot.Title(title);
        plot.XLabel("labeled rows");
        plot.YLabel("accuracy on the unlabeled rows");
        plot.Axes.SetLimitsY(Math.Max(0, lowest - 0.1), 1.02);
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        string temp = TempPath(path);
        try
        {
            plot.SavePng(temp, 720, 450);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static string Percent(double fraction) => (100 * fraction).ToString("F1", CultureInfo.InvariantCulture) + "%";

    private static string Text(long label) => label == LabelEncoding.Unlabeled ? "?" : label.ToString(CultureInfo.InvariantCulture);

    private static void Save(string path, SKSurface surface)
    {
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        GpuSpread.IO.AtomicFile.WriteBytes(path, stream => data.SaveTo(stream));
    }

    private static string TempPath(string path)
    {
        string full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileNameWithoutExtension(full)}.tmp-{Guid.NewGuid():N}.png");
    }
}
