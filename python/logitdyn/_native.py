"""Loading ``libLogitDynC.so`` and declaring its C functions (see ``logitdyn.h``)."""

import ctypes
import os
import pathlib
import threading

ABI_VERSION = 1
_HERE = pathlib.Path(__file__).resolve().parent


class LibraryError(ImportError):
    """The shared library is missing, cannot be loaded, or has another ABI version."""


def _library_path():
    override = os.environ.get("LOGITDYN_LIBRARY")
    if override:
        return pathlib.Path(override)
    return _HERE / "_lib" / "libLogitDynC.so"


def _load():
    path = _library_path()
    if not path.is_file():
        raise LibraryError(f"logitdyn: no shared library at {path} (install with `pip install ./python`, or set LOGITDYN_LIBRARY)")
    try:
        # ctypes.CDLL (not PyDLL) releases the GIL for the duration of every call.
        lib = ctypes.CDLL(str(path))
    except OSError as error:
        raise LibraryError(f"logitdyn: cannot load {path}: {error}") from error
    lib.ld_abi_version.restype = ctypes.c_int32
    lib.ld_abi_version.argtypes = []
    version = lib.ld_abi_version()
    if version != ABI_VERSION:
        raise LibraryError(f"logitdyn: {path} has C ABI version {version}, this package needs {ABI_VERSION}")
    return lib, path


lib, library_path = _load()

_p = ctypes.c_void_p
_i32 = ctypes.c_int32
_i64 = ctypes.c_int64
_f64 = ctypes.c_double
_s = ctypes.c_char_p
_out = ctypes.POINTER(ctypes.c_void_p)

_SIGNATURES = {
    "ld_free": (None, [_p]),
    "ld_token_stats": (_i32, [_p, _i32, _i64, _i64, _i64, _i64, _p, _i64, _f64, _i32, _i32, _p, _p, _i64]),
    "ld_policy_loss": (_i32, [_s, _s, _i64, _i64, _p, _p, _p, _p, _p, _p, _p, _p, _p, _out, _p, _i64]),
    "ld_cov_select": (_i32, [_i32, _s, _i64, _i64, _i64, _p, _p, _p, _p, _p, _out, _p, _i64]),
    "ld_token_covariance": (_i32, [_i64, _p, _p, _p, _i64, _p, _p, _p, _p, _i64]),
    "ld_update_report": (_i32, [_p, _i64, _i64, _f64, _f64, _f64, _out, _p, _i64]),
    "ld_qre_trace": (_i32, [_s, _i64, _i64, _p, _p, _f64, _i64, _p, _f64, _f64, _out, _p, _i64]),
}
for _name, (_restype, _argtypes) in _SIGNATURES.items():
    _function = getattr(lib, _name)
    _function.restype = _restype
    _function.argtypes = _argtypes

ERROR_CAPACITY = 2048
_local = threading.local()


def error_buffer():
    """This thread's message buffer (one per thread: calls may run concurrently)."""
    buffer = getattr(_local, "buffer", None)
    if buffer is None:
        buffer = _local.buffer = ctypes.create_string_buffer(ERROR_CAPACITY)
    return buffer


def check(status, buffer):
    """Raises ``ValueError`` with the library's message when `status` is not LD_OK."""
    if status != 0:
        raise ValueError(buffer.value.decode("utf-8", "replace") or f"logitdyn: error {status}")


def take_json(pointer):
    """The JSON text the library returned through ``json_out``, released with ``ld_free``."""
    if not pointer.value:
        raise ValueError("logitdyn: the library returned no result")
    try:
        return ctypes.string_at(pointer.value).decode("utf-8")
    finally:
        lib.ld_free(pointer)
