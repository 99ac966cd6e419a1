using GpuSpread.Runner;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl-C asks the running stage to stop (outputs are then not written); a second one kills.
    e.Cancel = !cancellation.IsCancellationRequested;
    cancellation.Cancel();
};
return Cli.Run(args, Console.Out, Console.Error, cancellation.Token);
