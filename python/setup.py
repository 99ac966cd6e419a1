"""Builds the package with its .NET assemblies: `dotnet publish` of src/Interop into gpuspread/assemblies (docs/python.md).

pip builds a local folder in place, so the checkout's src/ is next to this file; the .NET 10 SDK must be on PATH."""

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

INTEROP = Path(__file__).resolve().parent.parent / "src" / "Interop" / "Interop.csproj"


class BuildWithAssemblies(build_py):
    def run(self):
        super().run()
        if not INTEROP.is_file():
            raise RuntimeError(f"{INTEROP} is missing: install gpuspread from a checkout of the GpuSpread repository "
                               "(pip install ./python from its root)")
        dotnet = shutil.which("dotnet")
        if dotnet is None:
            raise RuntimeError("building gpuspread needs the .NET 10 SDK (dotnet on PATH) to compile its assemblies")
        # Not ".../dotnet": `dotnet publish -o` misreads an output folder of that name (SDK 10.0.401).
        target = Path(self.build_lib) / "gpuspread" / "assemblies"
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run([dotnet, "publish", str(INTEROP), "-c", "Release", "-o", str(target), "--nologo",
                        "-v", "quiet"], check=True)


setup(cmdclass={"build_py": BuildWithAssemblies})
