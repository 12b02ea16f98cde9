"""Zero-copy views of NumPy arrays and torch tensors as (pointer, dtype code, shape, strides)."""

import numpy as np

FLOAT32, FLOAT16, BFLOAT16, FLOAT64 = 0, 1, 2, 3
NUMPY_CODES = {np.dtype(np.float32): FLOAT32, np.dtype(np.float16): FLOAT16, np.dtype(np.float64): FLOAT64}
_NAMES = {FLOAT32: "float32", FLOAT16: "float16", BFLOAT16: "bfloat16", FLOAT64: "float64"}


class LogitView:
    """Where the rows of a ``[..., vocab]`` array are: element ``(r, v)`` at
    ``pointer + (r·row_stride + v·col_stride)·itemsize``; ``owner`` keeps the memory alive."""

    __slots__ = ("pointer", "dtype", "rows", "vocab", "row_stride", "col_stride", "lead_shape", "owner")

    def __init__(self, pointer, dtype, rows, vocab, row_stride, col_stride, lead_shape, owner):
        self.pointer, self.dtype, self.rows, self.vocab = pointer, dtype, rows, vocab
        self.row_stride, self.col_stride, self.lead_shape, self.owner = row_stride, col_stride, lead_shape, owner

    @property
    def dtype_name(self):
        return _NAMES[self.dtype]


def _is_torch(x):
    return type(x).__module__.startswith("torch") and hasattr(x, "data_ptr") and hasattr(x, "stride")


def _rows(shape, strides, what):
    """Collapses the leading axes of a shape into one row axis, without a copy: returns
    (leading shape, rows, vocab, row stride, column stride), strides in elements."""
    if len(shape) == 0:
        raise ValueError(f"{what} must have at least one axis (the vocabulary), got a scalar")
    lead = tuple(int(s) for s in shape[:-1])
    vocab, col = int(shape[-1]), int(strides[-1])
    rows = 1
    for s in lead:
        rows *= s
    # Axes of extent 1 do not move; the others must step evenly: each by the next one's extent.
    moving = [(int(n), int(st)) for n, st in zip(lead, strides[:-1]) if n > 1]
    if not moving:
        return lead, rows, vocab, vocab, col
    for (n0, s0), (n1, s1) in zip(moving, moving[1:]):
        if s0 != s1 * n1:
            raise ValueError(
                f"{what} with shape {tuple(shape)} and strides {tuple(strides)} (in elements) cannot be "
                "read as evenly spaced rows without a copy; reshape it to [rows, vocab] first")
    return lead, rows, vocab, moving[-1][1], col


def logits_view(x, dtype=None):
    """A zero-copy ``LogitView`` of `x`: a NumPy array (float32, float16, float64,
    ``ml_dtypes.bfloat16``, or uint16/int16 bit patterns with ``dtype="bfloat16"``/``"float16"``),
    a torch CPU tensor (float32, float16, bfloat16, float64), or anything ``np.asarray`` views
    without a copy (buffer protocol, ``__array_interface__``, DLPack through NumPy)."""
    if _is_torch(x):
        import torch

        if x.device.type != "cpu":
            raise ValueError(f"logits are on {x.device}; logitdyn reads CPU memory (call .cpu() first)")
        codes = {torch.float32: FLOAT32, torch.float16: FLOAT16, torch.bfloat16: BFLOAT16, torch.float64: FLOAT64}
        if x.dtype not in codes:
            raise ValueError(f"logits of dtype {x.dtype} are not supported (float32, float16, bfloat16, float64)")
        code = codes[x.dtype]
        if dtype is not None and _code_of_name(dtype) != code:
            raise ValueError(f"dtype={dtype!r} does not match the tensor's {x.dtype}")
        lead, rows, vocab, rs, cs = _rows(tuple(x.shape), tuple(x.stride()), "logits")
        return LogitView(x.data_ptr(), code, rows, vocab, rs, cs, lead, x)
    a = x if isinstance(x, np.ndarray) else np.asarray(x)
    if not a.dtype.isnative:
        raise ValueError(f"logits in non-native byte order ({a.dtype}) are not supported; use .astype(a.dtype.newbyteorder('='))")
    if a.dtype.name == "bfloat16":
        code = BFLOAT16
    elif a.dtype in NUMPY_CODES:
        code = NUMPY_CODES[a.dtype]
    elif a.dtype in (np.dtype(np.uint16), np.dtype(np.int16)) and dtype is not None and _code_of_name(dtype) in (BFLOAT16, FLOAT16):
        code = _code_of_name(dtype)
    else:
        raise ValueError(f"logits of dtype {a.dtype} are not supported (float32, float16, float64, ml_dtypes.bfloat16, "
                         "or uint16 bit patterns with dtype='bfloat16')")
    if dtype is not None and _code_of_name(dtype) != code:
        raise ValueError(f"dtype={dtype!r} does not match the array's {a.dtype}")
    item = a.dtype.itemsize
    if any(s % item for s in a.strides):
        raise ValueError(f"logits strides {a.strides} are not multiples of the {item}-byte element size")
    lead, rows, vocab, rs, cs = _rows(a.shape, [s // item for s in a.strides], "logits")
    if vocab < 1:
        raise ValueError("logits have an empty last axis (vocabulary 0)")
    return LogitView(a.__array_interface__["data"][0], code, rows, vocab, rs, cs, lead, a)


def _code_of_name(name):
    names = {"float32": FLOAT32, "float16": FLOAT16, "bfloat16": BFLOAT16, "float64": FLOAT64}
    key = getattr(name, "name", name)
    key = str(key).replace("torch.", "")
    if key not in names:
        raise ValueError(f"unknown dtype {name!r} (float32, float16, bfloat16, float64)")
    return names[key]


def as_numpy(x):
    """`x` as a NumPy array (torch tensors through ``.numpy()``, no copy on CPU)."""
    if _is_torch(x):
        if x.device.type != "cpu":
            raise ValueError(f"tensor is on {x.device}; logitdyn reads CPU memory (call .cpu() first)")
        import torch

        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.detach().numpy()
    return np.asarray(x)


def float64_tokens(x, name, shape=None):
    """A C-contiguous float64 copy or view of a ``[B][L]`` (or 1-D) token array, checked."""
    a = as_numpy(x)
    if a.dtype.kind not in "fiub":
        raise ValueError(f"{name} must be numeric, got dtype {a.dtype}")
    if a.dtype.kind == "b":
        a = a.astype(np.float64)
    a = np.ascontiguousarray(a, dtype=np.float64)
    if shape is not None and a.shape != shape:
        raise ValueError(f"{name} has shape {a.shape}, expected {shape}")
    return a
