"""A PEP 517 build backend for the ``logitdyn`` Python package.

It runs ``swift build -c <configuration> --product LogitDynC`` in the repository that holds
this ``python/`` folder, and writes a platform wheel with the Python sources, the shared
library ``libLogitDynC.so``, the Swift runtime libraries that library links (found with
``ldd``, those that live beside ``libswiftCore.so``), and the C header. The library's run path
is rewritten to ``$ORIGIN`` alone, so the installed package loads its own copy of the runtime
and works where the Swift toolchain is not on the library path.

Settings (environment, or ``pip install --config-settings key=value``):

- ``LOGITDYN_SWIFT_CONFIGURATION`` / ``configuration``: ``release`` (default) or ``debug``;
- ``LOGITDYN_SWIFT_SCRATCH`` / ``scratch-path``: SwiftPM's build folder (default ``.build``);
- ``LOGITDYN_PREBUILT_LIBRARY`` / ``library``: a built ``libLogitDynC.so`` to pack instead.

No dependency beyond the standard library: a wheel is a zip file with a ``.dist-info``.
"""

import base64
import hashlib
import os
import pathlib
import shutil
import struct
import subprocess
import sys
import sysconfig
import tempfile
import zipfile

NAME = "logitdyn"
VERSION = "0.1.0"
HERE = pathlib.Path(__file__).resolve().parent.parent  # python/
ROOT = HERE.parent  # the Swift package


def _setting(config_settings, key, env):
    if config_settings and key in config_settings:
        return config_settings[key]
    return os.environ.get(env) or None


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def _metadata():
    readme = (
        "Python bindings of LogitDynamics (see the repository's README, section "
        "'From Python').\n"
    )
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {NAME}\n"
        f"Version: {VERSION}\n"
        "Summary: Softmax policy-gradient diagnostics on NumPy arrays and torch tensors\n"
        "Requires-Python: >=3.9\n"
        "Requires-Dist: numpy>=1.21\n"
        "Provides-Extra: bf16\n"
        "Requires-Dist: ml_dtypes>=0.3; extra == \"bf16\"\n"
        "Description-Content-Type: text/plain\n\n" + readme
    )


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    info = pathlib.Path(metadata_directory) / f"{NAME}-{VERSION}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(_metadata())
    return info.name


def _build_library(config_settings):
    prebuilt = _setting(config_settings, "library", "LOGITDYN_PREBUILT_LIBRARY")
    if prebuilt:
        path = pathlib.Path(prebuilt)
        if not path.is_file():
            raise RuntimeError(f"LOGITDYN_PREBUILT_LIBRARY: no such file {path}")
        return path
    if not (ROOT / "Package.swift").is_file():
        raise RuntimeError(f"no Package.swift in {ROOT}: build from a checkout of LogitDynamics")
    configuration = _setting(config_settings, "configuration", "LOGITDYN_SWIFT_CONFIGURATION") or "release"
    if configuration not in ("release", "debug"):
        raise RuntimeError(f"configuration must be release or debug, got {configuration!r}")
    command = ["swift", "build", "-c", configuration, "--product", "LogitDynC", "--package-path", str(ROOT)]
    scratch = _setting(config_settings, "scratch-path", "LOGITDYN_SWIFT_SCRATCH")
    if scratch:
        command += ["--scratch-path", scratch]
    print("logitdyn build:", " ".join(command), file=sys.stderr, flush=True)
    subprocess.run(command, check=True, stdout=sys.stderr)
    binary = subprocess.run(command + ["--show-bin-path"], check=True, capture_output=True, text=True).stdout
    binary = binary.strip().splitlines()[-1]
    path = pathlib.Path(binary) / "libLogitDynC.so"
    if not path.is_file():
        raise RuntimeError(f"swift build did not produce {path}")
    return path


def _runtime_libraries(library):
    """The Swift runtime libraries `library` loads: those ldd resolves beside libswiftCore.so."""
    out = subprocess.run(["ldd", str(library)], check=True, capture_output=True, text=True).stdout
    resolved = {}
    for line in out.splitlines():
        parts = line.split("=>")
        if len(parts) != 2:
            continue
        name = parts[0].strip()
        target = parts[1].strip().split(" (")[0].strip()
        if target and target != "not found":
            resolved[name] = pathlib.Path(target)
        elif target == "not found":
            raise RuntimeError(f"{library} needs {name}, which ldd cannot find")
    core = resolved.get("libswiftCore.so")
    if core is None:
        raise RuntimeError(f"{library} does not link libswiftCore.so; is it a Swift library?")
    runtime_dir = core.resolve().parent
    return [p for p in resolved.values() if p.resolve().parent == runtime_dir]


def _set_runpath_origin(path):
    """Rewrites DT_RUNPATH/DT_RPATH of an ELF64 little-endian file, in place, to `$ORIGIN`.

    The new string is no longer than the old one, so it is written over it (padded with NUL
    bytes) in the dynamic string table; no section moves.
    """
    data = bytearray(path.read_bytes())
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise RuntimeError(f"{path} is not a 64-bit little-endian ELF file")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads, dynamic = [], None
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz, _, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == 1:
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == 2:
            dynamic = (p_offset, p_filesz)
    if dynamic is None:
        raise RuntimeError(f"{path} has no dynamic section")
    entries = []
    for k in range(dynamic[1] // 16):
        tag, value = struct.unpack_from("<qQ", data, dynamic[0] + 16 * k)
        if tag == 0:
            break
        entries.append((tag, value))
    strtab = next((v for t, v in entries if t == 5), None)
    if strtab is None:
        raise RuntimeError(f"{path} has no dynamic string table")
    base = next((off + strtab - va for va, off, size in loads if va <= strtab < va + size), None)
    if base is None:
        raise RuntimeError(f"{path}: the string table lies outside every loaded segment")
    changed = False
    for tag, value in entries:
        if tag in (15, 29):  # DT_RPATH, DT_RUNPATH
            start = base + value
            end = data.index(0, start)
            new = b"$ORIGIN"
            if len(new) > end - start:
                raise RuntimeError(f"{path}: run path too short to rewrite")
            data[start:end] = new + b"\0" * (end - start - len(new))
            changed = True
    if not changed:
        raise RuntimeError(f"{path} has no run path to rewrite")
    path.write_bytes(bytes(data))


def _record_line(arcname, payload):
    digest = base64.urlsafe_b64encode(hashlib.sha256(payload).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(payload)}"


def _platform_tag():
    return sysconfig.get_platform().replace("-", "_").replace(".", "_")


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    library = _build_library(config_settings)
    tag = f"py3-none-{_platform_tag()}"
    wheel_name = f"{NAME}-{VERSION}-{tag}.whl"
    files = {}
    for source in sorted((HERE / NAME).glob("*.py")):
        files[f"{NAME}/{source.name}"] = source.read_bytes()
    files[f"{NAME}/logitdyn.h"] = (ROOT / "include" / "logitdyn.h").read_bytes()
    with tempfile.TemporaryDirectory() as scratch:
        copy = pathlib.Path(scratch) / "libLogitDynC.so"
        shutil.copyfile(library, copy)
        _set_runpath_origin(copy)
        files[f"{NAME}/_lib/libLogitDynC.so"] = copy.read_bytes()
    for runtime in _runtime_libraries(library):
        files[f"{NAME}/_lib/{runtime.name}"] = runtime.read_bytes()
    info = f"{NAME}-{VERSION}.dist-info"
    files[f"{info}/METADATA"] = _metadata().encode()
    files[f"{info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: logitdyn_build\nRoot-Is-Purelib: false\n" f"Tag: {tag}\n"
    ).encode()
    files[f"{info}/top_level.txt"] = f"{NAME}\n".encode()
    record = [_record_line(name, payload) for name, payload in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    target = pathlib.Path(wheel_directory) / wheel_name
    partial = target.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as wheel:
        for name, payload in files.items():
            entry = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            entry.external_attr = (0o755 if name.endswith(".so") else 0o644) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(entry, payload)
    os.replace(partial, target)
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    raise RuntimeError("logitdyn has no source distribution: install from a checkout (pip install ./python)")
