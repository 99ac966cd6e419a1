"""The .NET engine in this process: hostfxr (the .NET host) loaded with ctypes, GpuSpread.Interop's entry points.

The assemblies are looked for, in order, in $GPUSPREAD_DOTNET_DIR, in the package's own ``assemblies`` folder (filled by
``pip install``), and in the checkout's build output (``src/Interop/bin/Release/net10.0`` next to ``python/``). The
.NET runtime is looked for in $DOTNET_ROOT, beside the ``dotnet`` on PATH, and in the usual install folders.
Nothing here runs at import: the runtime starts on the first fit.
"""

import ctypes
import json
import os
import re
import shutil
import sys
import threading
import weakref
from pathlib import Path

import numpy as np

ASSEMBLY = "GpuSpread.Interop"
EXPORTS = "GpuSpread.Interop.Exports, GpuSpread.Interop"
RUNTIME_MAJOR = 10

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT_BUILD = _PACKAGE.parent.parent / "src" / "Interop" / "bin" / "Release" / f"net{RUNTIME_MAJOR}.0"
_USUAL_ROOTS = ["/usr/share/dotnet", "/usr/lib/dotnet", "/usr/local/share/dotnet", "/opt/dotnet",
                str(Path.home() / ".dotnet")]


class DotnetUnavailableError(RuntimeError):
    """The .NET runtime or GpuSpread's assemblies cannot be loaded; the message says what is missing."""


class Cancelled(KeyboardInterrupt):
    """A fit or prediction stopped by Ctrl-C."""


_ERRORS = {1: ValueError, 2: TypeError, 3: MemoryError, 4: NotImplementedError, 5: RuntimeError, 6: Cancelled}

_p = ctypes.c_void_p
_i32, _i64 = ctypes.c_int32, ctypes.c_int64
_out = ctypes.POINTER(ctypes.c_void_p)
_SIGNATURES = {
    "Fit": (_i32, [_p, _i32, _p, _i32, _i64, _i64, _p, _i64, _i64, _i64, _p, _p, _p, _p, _out, _out, _out]),
    "Distributions": (_i32, [_p, _p, _i64, _out]),
    "PredictProba": (_i32, [_p, _p, _i32, _i64, _i64, _p, _p, _i64, _out]),
    "Release": (None, [_p]),
    "LiveModels": (_i64, []),
    "NewCancellation": (_p, []),
    "Cancel": (None, [_p]),
    "ReleaseCancellation": (None, [_p]),
    "FreeText": (None, [_p]),
}


def assembly_dir():
    """The folder holding GpuSpread.Interop.dll, or DotnetUnavailableError listing where it was looked for."""
    candidates = []
    if os.environ.get("GPUSPREAD_DOTNET_DIR"):
        candidates.append(Path(os.environ["GPUSPREAD_DOTNET_DIR"]))
    candidates += [_PACKAGE / "assemblies", _CHECKOUT_BUILD]
    for folder in candidates:
        if (folder / f"{ASSEMBLY}.dll").is_file() and (folder / f"{ASSEMBLY}.runtimeconfig.json").is_file():
            return folder
    raise DotnetUnavailableError(
        f"GpuSpread's .NET assemblies ({ASSEMBLY}.dll and its runtimeconfig.json) were not found in "
        + ", ".join(str(c) for c in candidates)
        + ". Install the package with pip (it builds them; see docs/python.md), build them in the checkout with "
        "'dotnet build src/Interop -c Release', or set GPUSPREAD_DOTNET_DIR to a folder holding them.")


def _version_key(name):
    return tuple(int(part) if part.isdigit() else -1 for part in re.split(r"[.-]", name))


def _dotnet_roots():
    if os.environ.get("DOTNET_ROOT"):
        yield Path(os.environ["DOTNET_ROOT"])
    on_path = shutil.which("dotnet")
    if on_path:
        yield Path(os.path.realpath(on_path)).parent
    for root in _USUAL_ROOTS:
        yield Path(root)


def _hostfxr_name():
    if sys.platform.startswith("linux"):
        return "libhostfxr.so"
    if sys.platform == "darwin":
        return "libhostfxr.dylib"
    raise DotnetUnavailableError(f"gpuspread's Python package runs on Linux and macOS; this is {sys.platform}")


def find_runtime():
    """(dotnet root, path of hostfxr) of the first install with a .NET 10 runtime; DotnetUnavailableError saying why not."""
    name = _hostfxr_name()
    seen = []
    for root in _dotnet_roots():
        if not root.is_dir() or root in (r for r, _ in seen):
            continue
        runtimes = sorted((p.name for p in (root / "shared" / "Microsoft.NETCore.App").glob("*") if p.is_dir()),
                          key=_version_key)
        seen.append((root, runtimes))
        fxr = sorted((root / "host" / "fxr").glob(f"*/{name}"), key=lambda p: _version_key(p.parent.name))
        if fxr and any(_version_key(v)[0] == RUNTIME_MAJOR for v in runtimes):
            return root, fxr[-1]
    if not seen:
        raise DotnetUnavailableError(
            f"the .NET {RUNTIME_MAJOR} runtime was not found: no dotnet on PATH, DOTNET_ROOT is not set, and none of "
            + ", ".join(_USUAL_ROOTS)
            + f" exists. Install the .NET {RUNTIME_MAJOR} runtime (Microsoft.NETCore.App {RUNTIME_MAJOR}.x; "
            "https://dotnet.microsoft.com/download) or set DOTNET_ROOT to its folder.")
    found = "; ".join(f"{root}: " + (", ".join(versions) if versions else "no runtime") for root, versions in seen)
    raise DotnetUnavailableError(
        f"the .NET {RUNTIME_MAJOR} runtime (Microsoft.NETCore.App {RUNTIME_MAJOR}.x) was not found; installed runtimes: "
        f"{found}. Install the .NET {RUNTIME_MAJOR} runtime, or set DOTNET_ROOT to a folder that has it.")


class _Library:
    """The entry points of GpuSpread.Interop, loaded once per process."""

    def __init__(self):
        folder = assembly_dir()
        root, fxr_path = find_runtime()
        try:
            fxr = ctypes.CDLL(str(fxr_path))
        except OSError as error:
            raise DotnetUnavailableError(f"the .NET host {fxr_path} could not be loaded: {error}") from None
        messages = []
        writer_type = ctypes.CFUNCTYPE(None, ctypes.c_char_p)
        writer = writer_type(lambda text: messages.append(text.decode("utf-8", "replace").strip()))
        fxr.hostfxr_set_error_writer.restype = ctypes.c_void_p
        fxr.hostfxr_set_error_writer.argtypes = [writer_type]
        fxr.hostfxr_set_error_writer(writer)

        class InitParameters(ctypes.Structure):
            _fields_ = [("size", ctypes.c_size_t), ("host_path", ctypes.c_char_p), ("dotnet_root", ctypes.c_char_p)]

        parameters = InitParameters(ctypes.sizeof(InitParameters), None, str(root).encode())
        context = ctypes.c_void_p()
        config = folder / f"{ASSEMBLY}.runtimeconfig.json"
        fxr.hostfxr_initialize_for_runtime_config.restype = ctypes.c_int32
        fxr.hostfxr_initialize_for_runtime_config.argtypes = [ctypes.c_char_p, ctypes.POINTER(InitParameters), _out]
        status = fxr.hostfxr_initialize_for_runtime_config(str(config).encode(), ctypes.byref(parameters),
                                                           ctypes.byref(context))
        # 0: started; 1 and 2: a runtime already runs in this process (its settings win).
        if status not in (0, 1, 2):
            fxr.hostfxr_set_error_writer(writer_type())
            raise DotnetUnavailableError(
                f"the .NET host could not start the runtime for {config} (status 0x{status & 0xFFFFFFFF:08x}): "
                + " ".join(messages))
        load = ctypes.c_void_p()
        fxr.hostfxr_get_runtime_delegate.restype = ctypes.c_int32
        fxr.hostfxr_get_runtime_delegate.argtypes = [ctypes.c_void_p, ctypes.c_int32, _out]
        hdt_load_assembly_and_get_function_pointer = 5
        status = fxr.hostfxr_get_runtime_delegate(context, hdt_load_assembly_and_get_function_pointer,
                                                  ctypes.byref(load))
        fxr.hostfxr_close.argtypes = [ctypes.c_void_p]
        fxr.hostfxr_close(context)
        if status != 0:
            fxr.hostfxr_set_error_writer(writer_type())
            raise DotnetUnavailableError(f"the .NET host gave no loader (status 0x{status & 0xFFFFFFFF:08x}): "
                                         + " ".join(messages))
        load_type = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                                     ctypes.c_void_p, ctypes.c_void_p, _out)
        load_function = load_type(load.value)
        unmanaged_callers_only = ctypes.c_void_p(-1)
        assembly = str(folder / f"{ASSEMBLY}.dll").encode()
        for name, (result, arguments) in _SIGNATURES.items():
            pointer = ctypes.c_void_p()
            status = load_function(assembly, EXPORTS.encode(), name.encode(), unmanaged_callers_only, None,
                                   ctypes.byref(pointer))
            if status != 0:
                fxr.hostfxr_set_error_writer(writer_type())
                raise DotnetUnavailableError(
                    f"{assembly.decode()} has no entry point {name} (status 0x{status & 0xFFFFFFFF:08x}); the package "
                    "and its assemblies do not match: reinstall the package or rebuild src/Interop. " + " ".join(messages))
            setattr(self, name, ctypes.CFUNCTYPE(result, *arguments)(pointer.value))
        fxr.hostfxr_set_error_writer(writer_type())
        self.folder = folder
        self.dotnet_root = root

    def text(self, pointer):
        """The UTF-8 string at pointer, freed on the .NET side."""
        if not pointer:
            return None
        try:
            return ctypes.string_at(pointer).decode("utf-8")
        finally:
            self.FreeText(pointer)

    def check(self, status, error):
        if status != 0:
            message = self.text(error.value)
            raise _ERRORS.get(status, RuntimeError)(message)


_library = None
_library_lock = threading.Lock()


def library():
    """The loaded entry points; the first call starts the .NET runtime."""
    global _library
    if _library is None:
        with _library_lock:
            if _library is None:
                _library = _Library()
    return _library


def _pointer(array):
    return ctypes.c_void_p(array.ctypes.data) if array is not None else None


def _cancellable(call):
    """Runs call(cancellation) so that Ctrl-C stops it: on the main thread the call runs on a worker thread while this
    one waits, and an interrupt cancels the .NET side and waits for it to stop. An interrupt can arrive at any point,
    even while the worker is starting, so every path after the start cancels and waits: a call never runs on unwatched."""
    lib = library()
    if threading.current_thread() is not threading.main_thread():
        return call(None)
    source = lib.NewCancellation()
    outcome = {}
    done = threading.Event()

    def work():
        try:
            outcome["value"] = call(source)
        except BaseException as error:
            outcome["error"] = error
        finally:
            done.set()

    worker = threading.Thread(target=work, name="gpuspread", daemon=True)
    try:
        worker.start()
        while not done.wait(0.2):
            pass
    except KeyboardInterrupt:
        lib.Cancel(source)
        # Interrupted inside start(), the thread may still be starting; it runs (and stops at once) unless start()
        # was interrupted before it created the thread, which then never sets _started.
        if worker._started.wait(5):
            done.wait()
        raise Cancelled("gpuspread: cancelled") from None
    finally:
        if done.is_set():
            lib.ReleaseCancellation(source)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _features(X):
    """X as C-contiguous float32 (when float32) or float64, with its element size."""
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    X = np.ascontiguousarray(X, dtype=dtype)
    return X, X.dtype.itemsize


class FittedModel:
    """A fit held by the .NET side (its graph, engine and distributions), freed when this object goes."""

    def __init__(self, options, X=None, labels=None, graph=None):
        """Fits: features X and/or graph = (nodes, sources int32, targets int32, weights float64), labels int64 class
        indices (-1 unlabeled), options a dict (FitRequest.cs). Raises what scikit-learn would for bad input."""
        lib = library()
        options_json = json.dumps(options).encode()
        labels = np.ascontiguousarray(labels, dtype=np.int64)
        if X is not None:
            X, feature_bytes = _features(X)
            rows, cols = X.shape
        else:
            feature_bytes, rows, cols = 0, 0, 0
        if graph is not None:
            nodes, sources, targets, weights = graph
            sources = np.ascontiguousarray(sources, dtype=np.int32)
            targets = np.ascontiguousarray(targets, dtype=np.int32)
            weights = np.ascontiguousarray(weights, dtype=np.float64)
            edges = len(sources)
        else:
            nodes, sources, targets, weights, edges = 0, None, None, None, 0
        handle, info, error = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()

        def fit(cancellation):
            return lib.Fit(options_json, len(options_json), _pointer(X), feature_bytes, rows, cols, _pointer(labels),
                           len(labels), nodes, edges, _pointer(sources), _pointer(targets), _pointer(weights),
                           cancellation, ctypes.byref(handle), ctypes.byref(info), ctypes.byref(error))

        lib.check(_cancellable(fit), error)
        self._handle = handle.value
        self._release = weakref.finalize(self, lib.Release, ctypes.c_void_p(handle.value))
        self.info = json.loads(lib.text(info.value))

    def distributions(self):
        """The fitted n x c label distributions (float64)."""
        lib = library()
        result = np.empty((self.info["rows"], self.info["classes"]), dtype=np.float64)
        error = ctypes.c_void_p()
        lib.check(lib.Distributions(self._handle, _pointer(result), result.size, ctypes.byref(error)), error)
        return result

    def predict_proba(self, X):
        """scikit-learn's predict_proba of the rows of X by the fitted graph (rbf or knn kernel)."""
        lib = library()
        X, feature_bytes = _features(X)
        result = np.empty((X.shape[0], self.info["classes"]), dtype=np.float64)
        error = ctypes.c_void_p()

        def predict(cancellation):
            return lib.PredictProba(self._handle, _pointer(X), feature_bytes, X.shape[0], X.shape[1], cancellation,
                                    _pointer(result), result.size, ctypes.byref(error))

        lib.check(_cancellable(predict), error)
        return result

    def close(self):
        """Frees the .NET side now rather than when this object is collected."""
        self._release()
