import os
import pathlib
import re

import pytest

import logitdyn
from logitdyn import _native
from conftest import REPO


def test_the_header_declares_what_the_binding_calls():
    header = (REPO / "include" / "logitdyn.h").read_text()
    declared = {}
    for name, args in re.findall(r"\b(ld_\w+)\s*\(([^)]*)\)\s*;", header):
        declared[name] = 0 if args.strip() == "void" else len(args.split(","))
    assert set(_native._SIGNATURES) | {"ld_abi_version"} == set(declared)
    for name, (_, argtypes) in _native._SIGNATURES.items():
        assert len(argtypes) == declared[name], name
    version = int(re.search(r"#define LD_ABI_VERSION (\d+)", header).group(1))
    assert version == _native.ABI_VERSION == _native.lib.ld_abi_version()


def test_an_installed_package_loads_its_own_swift_runtime():
    """Installed (not pointed at a build folder by LOGITDYN_LIBRARY), every Swift runtime library
    in this process comes from the package's `_lib`, not from a toolchain."""
    if os.environ.get("LOGITDYN_LIBRARY"):
        pytest.skip("LOGITDYN_LIBRARY points at a build folder: not an installed package")
    package_lib = pathlib.Path(logitdyn.__file__).resolve().parent / "_lib"
    assert pathlib.Path(logitdyn.library_path).resolve().parent == package_lib
    mapped = set()
    for line in pathlib.Path("/proc/self/maps").read_text().splitlines():
        path = line.split()[-1] if len(line.split()) >= 6 else ""
        if re.search(r"/lib(swift\w*|Foundation\w*|_Foundation\w*|dispatch|BlocksRuntime)\.so$", path):
            mapped.add(pathlib.Path(path))
    assert any(p.name == "libswiftCore.so" for p in mapped)
    outside = [str(p) for p in mapped if p.resolve().parent != package_lib]
    assert not outside, f"runtime libraries loaded from outside the package: {outside}"
