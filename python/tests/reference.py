"""float64 NumPy references for the binding's results."""

import numpy as np


def token_stats(z, tokens=None, temperature=1.0):
    """The kernel's fields in float64 from float64 logits `z` [rows, vocab]."""
    z = np.asarray(z, dtype=np.float64) / temperature
    top = z.max(axis=1, keepdims=True)
    e = np.exp(z - top)
    s = e.sum(axis=1, keepdims=True)
    lse = (top + np.log(s))[:, 0]
    logp = z - lse[:, None]
    p = np.exp(logp)
    plogp = np.where(p > 0, p * logp, 0.0)
    out = {
        "lse": lse,
        "entropy": -plogp.sum(axis=1),
        "collision": (p * p).sum(axis=1),
        "sum_p2_logp": (p * plogp).sum(axis=1),
    }
    if tokens is not None:
        r = np.arange(z.shape[0])
        pc, lpc = p[r, tokens], logp[r, tokens]
        beta = 1.0 / temperature
        out["logp"] = lpc
        out["p"] = pc
        out["norm_factor"] = np.sqrt(np.maximum(0.0, 1 - 2 * pc + out["collision"]))
        out["entropy_change"] = -beta * beta * (pc * (lpc + out["entropy"]) - out["sum_p2_logp"] - out["entropy"] * out["collision"])
    return out


def bf16_round(x):
    """float32 values rounded to the nearest bfloat16 (ties to even), as float32."""
    bits = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
    return rounded.astype(np.uint32).view(np.float32)


def bf16_bits(x):
    return (bf16_round(x).view(np.uint32) >> 16).astype(np.uint16)
