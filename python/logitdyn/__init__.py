"""LogitDynamics from Python: the softmax policy-gradient diagnostics of ``logitdyn`` on NumPy
arrays and torch CPU tensors, read in place (no copy of the logits), with the GIL released
while the library runs.

With ``p = softmax(z/τ)`` over the vocabulary of each token position:

- :func:`token_stats` — the fused one-pass kernel: ``lse``, entropy ``H = −Σ p log p``,
  collision ``C = Σ p²``, ``Σ p² log p``, the chosen token's ``log p_c`` and ``p_c``, the
  update-norm factor ``√(1 − 2p_c + C)`` (seed 002) and the first-order entropy change per
  unit step (seeds 003/004);
- :func:`token_covariance` — ``cov_i = (log π_i − mean)(A_i − mean)`` with seed 003's
  top-fraction table;
- :func:`clip_cov_select`, :func:`kl_cov_select` — the tokens Clip-Cov / KL-Cov touch,
  globally or per micro-batch;
- :func:`policy_loss` — every loss and intervention of ``logitdyn loss`` (verl-exact, verl's
  parameter names): loss, ``∂loss/∂log_prob``, metrics;
- :func:`update_report` — one sampled step ``Δz = ηAβ(e_c − p)`` as ``logitdyn update --json``;
- :func:`qre_trace` — the principal branch of logit QRE of a two-player game.

Errors of the input (wrong dtype or shape, NaN, out-of-range tokens, unknown parameters) raise
``ValueError`` with the library's message.
"""

import ctypes
import json
import os

import numpy as np

from . import _arrays, _native
from ._arrays import logits_view

__version__ = "0.1.0"
__all__ = ["token_stats", "token_covariance", "clip_cov_select", "kl_cov_select", "policy_loss",
           "update_report", "qre_trace", "logits_view", "library_path", "TOP_FRACTIONS"]

library_path = str(_native.library_path)

#: The group fractions of seed 003's Table 1.
TOP_FRACTIONS = (0.0002, 0.002, 0.02, 0.2, 0.5, 1.0)

_ALL_STATS = ("lse", "entropy", "collision", "sum_p2_logp", "logp", "p", "norm_factor", "entropy_change")
# The (row of out, name) pairs returned: [with tokens + 2 · without the second moment].
_STAT_NAMES = [tuple((k, _ALL_STATS[k]) for k in keep) for keep in
               ((0, 1, 2, 3), (0, 1, 2, 3, 4, 5, 6, 7), (0, 1, 2), (0, 1, 2, 4, 5, 6))]


def _default_threads():
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _address(a):
    """The address of a NumPy array's first element (a C-contiguous, writable one through
    the buffer protocol, the quickest way ctypes has; any other through ``ctypes.data``)."""
    if a.flags.writeable and a.flags.c_contiguous and a.size:
        return ctypes.addressof(ctypes.c_char.from_buffer(a))
    return a.ctypes.data


def _pointer(a):
    """``_address(a)``, or NULL for None (an optional array)."""
    return None if a is None else _address(a)


# The general view's dtype codes, keyed by dtype number for the fast path's lookup.
_FAST_CODES = {dt.num: code for dt, code in _arrays.NUMPY_CODES.items()}
_INT64 = np.dtype(np.int64)
_token_stats = _native.lib.ld_token_stats


_THREADS = _default_threads()


def token_stats(logits, tokens=None, temperature=1.0, *, threads=None, allow_nonfinite=False, second_moment=True,
                dtype=None):
    """Per-token statistics of ``[..., vocab]`` logits by the fused one-pass kernel.

    With ``p = softmax(z/τ)`` per row (``τ = temperature``) and chosen token ``c`` (``tokens``,
    integers of the leading shape), returns a dict of float64 arrays of the leading shape:

    - ``lse``: ``log Σ_i exp(z_i/τ)``;
    - ``entropy``: ``H = −Σ p_i log p_i`` (nats);
    - ``collision``: ``C = Σ p_i²``;
    - ``sum_p2_logp``: ``Σ p_i² log p_i``;

    and with ``tokens``:

    - ``logp``: ``log p_c``; ``p``: ``p_c``;
    - ``norm_factor``: ``√(1 − 2p_c + C)``, the norm of the sampled logit step
      ``Δz = ηAβ(e_c − p)`` per unit ``η|A|β`` (seed 002);
    - ``entropy_change``: the first-order entropy change of that step per unit ``ηA``,
      ``−β²(p_c(log p_c + H) − Σp² log p − H·C)`` (seeds 003/004).

    ``logits`` may be float32, float16, bfloat16 (``ml_dtypes.bfloat16``, a torch bfloat16
    tensor, or uint16 bit patterns with ``dtype="bfloat16"``) or float64, C-contiguous or with
    strided rows; it is read in place. The kernel computes in float32 with float64
    accumulation (relative error ~1e-6). A row with NaN or ``+inf`` raises ``ValueError``
    unless ``allow_nonfinite``: then its values are NaN and ``finite`` (a bool array, always
    returned then) marks it. ``second_moment=False`` skips ``Σ p² log p`` (about 5% faster;
    no ``sum_p2_logp`` nor ``entropy_change``). Rows of at most 64 entries are computed
    exactly in float64. Results do not depend on ``threads`` (default: all cores).
    """
    if (type(logits) is np.ndarray and dtype is None and logits.ndim == 2 and logits.dtype.num in _FAST_CODES
            and logits.dtype.isnative and logits.flags.c_contiguous and logits.shape[1] > 0):
        # The common case without the general view's checks (a C-contiguous float matrix).
        rows, vocab = logits.shape
        pointer, code, row_stride, col_stride, shape = _address(logits), _FAST_CODES[logits.dtype.num], vocab, 1, (rows,)
    else:
        view = _arrays.logits_view(logits, dtype)
        rows, pointer, code = view.rows, view.pointer, view.dtype
        vocab, row_stride, col_stride, shape = view.vocab, view.row_stride, view.col_stride, view.lead_shape
    token_pointer = None
    if tokens is not None:
        if not (type(tokens) is np.ndarray and tokens.dtype is _INT64 and tokens.flags.c_contiguous):
            t = _arrays.as_numpy(tokens)
            if t.dtype.kind not in "iu":
                raise ValueError(f"tokens must be integers, got dtype {t.dtype}")
            tokens = np.ascontiguousarray(t, dtype=np.int64)
        if tokens.shape != shape:
            raise ValueError(f"tokens have shape {tokens.shape}, expected the logits' leading shape {shape}")
        token_pointer = _address(tokens)
    out = np.empty((9, rows), dtype=np.float64)
    buffer = _native.error_buffer()
    status = _token_stats(pointer, code, rows, vocab, row_stride, col_stride, token_pointer, 1, float(temperature),
                          _THREADS if threads is None else int(threads), (1 if allow_nonfinite else 0) | (0 if second_moment else 2),
                          _address(out), buffer, _native.ERROR_CAPACITY)
    if status:
        _native.check(status, buffer)
    names = _STAT_NAMES[(token_pointer is not None) + 2 * (not second_moment)]
    if len(shape) == 1:
        result = {name: out[k] for k, name in names}
    else:
        result = {name: out[k].reshape(shape) for k, name in names}
    if allow_nonfinite:
        result["finite"] = out[8].reshape(shape) != 0
    return result


def token_covariance(log_prob, advantages, response_mask=None, *, fractions=TOP_FRACTIONS):
    """Seed 003's token covariance over the valid tokens,
    ``cov_i = (log π_i − mean log π)(A_i − mean A)`` (NaN where ``response_mask`` is 0), and
    its top-fraction table: for each fraction ``f`` the mean covariance of the top
    ``max(1, ⌈f·N⌉)`` valid tokens. Returns ``{"cov": array (input shape), "top": [{"fraction",
    "count", "mean"}, …]}``."""
    lp = _arrays.float64_tokens(log_prob, "log_prob")
    adv = _arrays.float64_tokens(advantages, "advantages", lp.shape)
    mask = None if response_mask is None else _arrays.float64_tokens(response_mask, "response_mask", lp.shape)
    f = np.ascontiguousarray(fractions, dtype=np.float64).reshape(-1)
    cov = np.empty(lp.shape, dtype=np.float64)
    table = np.empty((f.size, 3), dtype=np.float64)
    buffer = _native.error_buffer()
    status = _native.lib.ld_token_covariance(lp.size, _pointer(lp), _pointer(adv), _pointer(mask), f.size, _pointer(f),
                                             _pointer(cov), _pointer(table), buffer, _native.ERROR_CAPACITY)
    _native.check(status, buffer)
    return {"cov": cov, "top": [{"fraction": float(a), "count": int(b), "mean": float(c)} for a, b, c in table]}


def _batch(log_prob, name="log_prob"):
    lp = _arrays.float64_tokens(log_prob, name)
    if lp.ndim == 1:
        return lp.reshape(1, -1), lp.shape
    if lp.ndim != 2:
        raise ValueError(f"{name} must be [batch, length] (or 1-D), got shape {lp.shape}")
    return lp, lp.shape


def _parameters(params):
    lines = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, float):
            value = repr(value)
        text = str(value)
        if "\n" in text or "=" in key:
            raise ValueError(f"parameter {key}={text!r} is not a single key=value")
        lines.append(f"{key}={text}")
    return "\n".join(lines).encode()


def policy_loss(loss, log_prob, old_log_prob=None, advantages=None, response_mask=None, *,
                ref_log_prob=None, entropy=None, sum_pi_squared=None, **params):
    """A published policy loss on a ``[batch, length]`` batch, exactly as ``logitdyn loss``
    (verl's ``compute_policy_loss_*`` token for token).

    ``loss``: ``vanilla``/``ppo`` (clip ε 0.2, dual-clip c 3, log-ratio clamp ±20), ``dapo``
    (ε 0.2/0.28, c 10), ``reinforce``, ``clip_cov`` (ratio 2e-4, bounds (1, 5)), ``kl_cov``
    (ratio 2e-4, coefficient 0.1), ``steer``. ``params`` take verl's names: ``clip_ratio``,
    ``clip_ratio_low``, ``clip_ratio_high``, ``clip_ratio_c``, ``loss_agg_mode``,
    ``clip_cov_ratio``, ``kl_cov_ratio``, ``ppo_kl_coef``, ``entropy_coeff``, ``kl_loss_type``,
    ``kl_loss_coef``, ``entropy_top_ratio``, ``seed``, ``torch_manual_seed``, … (see
    ``logitdyn loss --help``). PPO's ratio is ``ρ = exp(log π − log π_old)``; the clipped
    surrogate is ``max(−Aρ, −A·clip(ρ, 1−ε_l, 1+ε_h))``, aggregated by ``loss_agg_mode``.

    ``old_log_prob`` defaults to ``log_prob`` (on-policy), ``response_mask`` to all ones.
    Returns a dict: ``loss``, ``pg_loss``, the logged metrics (``pg_clipfrac``, ``ppo_kl``,
    ``pg_clipfrac_lower``, …), ``grad_log_prob`` (``∂loss/∂log_prob``, the input's shape),
    ``selected_mask`` (tokens the selection touched) and the selection details
    (``clip_num``, ``n_eligible``, …).
    """
    if advantages is None:
        raise ValueError("advantages are required")
    lp, shape = _batch(log_prob)
    arrays = {}
    for key, value in (("old_log_prob", old_log_prob), ("advantages", advantages), ("response_mask", response_mask),
                       ("ref_log_prob", ref_log_prob), ("entropy", entropy), ("sum_pi_squared", sum_pi_squared)):
        arrays[key] = None if value is None else _arrays.float64_tokens(value, key, shape).reshape(lp.shape)
    grad = np.empty(lp.shape, dtype=np.float64)
    selected = np.empty(lp.shape, dtype=np.float64)
    result = ctypes.c_void_p()
    buffer = _native.error_buffer()
    status = _native.lib.ld_policy_loss(
        str(loss).encode(), _parameters(params), lp.shape[0], lp.shape[1], _pointer(lp),
        _pointer(arrays["old_log_prob"]), _pointer(arrays["advantages"]), _pointer(arrays["response_mask"]),
        _pointer(arrays["ref_log_prob"]), _pointer(arrays["entropy"]), _pointer(arrays["sum_pi_squared"]),
        _pointer(grad), _pointer(selected), ctypes.byref(result), buffer, _native.ERROR_CAPACITY)
    _native.check(status, buffer)
    out = json.loads(_native.take_json(result))
    out["grad_log_prob"] = grad.reshape(shape)
    out["selected_mask"] = selected.reshape(shape)
    return out


def _select(method, log_prob, advantages, response_mask, old_log_prob, micro_batches, details, params):
    lp, shape = _batch(log_prob)
    adv = _arrays.float64_tokens(advantages, "advantages", shape).reshape(lp.shape)
    mask = None if response_mask is None else _arrays.float64_tokens(response_mask, "response_mask", shape).reshape(lp.shape)
    old = None if old_log_prob is None else _arrays.float64_tokens(old_log_prob, "old_log_prob", shape).reshape(lp.shape)
    selected = np.empty(lp.shape, dtype=np.float64)
    result = ctypes.c_void_p()
    buffer = _native.error_buffer()
    status = _native.lib.ld_cov_select(method, _parameters(params), lp.shape[0], lp.shape[1], int(micro_batches),
                                       _pointer(lp), _pointer(old), _pointer(adv), _pointer(mask), _pointer(selected),
                                       ctypes.byref(result), buffer, _native.ERROR_CAPACITY)
    _native.check(status, buffer)
    info = json.loads(_native.take_json(result))
    chosen = selected.reshape(shape) != 0
    return (chosen, info) if details else chosen


def clip_cov_select(log_prob, advantages, response_mask=None, ratio=2e-4, seed=0, *, old_log_prob=None,
                    clip_cov_lb=1.0, clip_cov_ub=5.0, clip_ratio_low=0.2, clip_ratio_high=0.2,
                    micro_batches=1, torch_manual_seed=None, details=False):
    """The tokens Clip-Cov (Cui et al. 2025; verl ``compute_policy_loss_clip_cov``) detaches:
    among the valid tokens with ``lb < cov_i < ub`` that PPO has not already clipped,
    ``cov_i = (log π_i − mean)(A_i − mean)``, it draws ``max(1, ⌊ratio·N⌋)`` uniformly.

    With ``micro_batches = m`` the rows are split as ``torch.split(batch, ⌈B/m⌉)`` and each part
    selects on its own (as inside verl's micro-batch loss; part ``j`` draws with
    ``seed + j``). ``torch_manual_seed`` replays verl's ``torch.randperm`` after
    ``torch.manual_seed`` (one micro-batch). Returns a bool array of the input's shape, and
    with ``details=True`` also the per-micro-batch counts (``n_valid``, ``n_eligible``,
    ``clip_num``, ``n_selected``).
    """
    params = {"clip_cov_ratio": float(ratio), "seed": int(seed), "clip_cov_lb": float(clip_cov_lb),
              "clip_cov_ub": float(clip_cov_ub), "clip_ratio_low": float(clip_ratio_low),
              "clip_ratio_high": float(clip_ratio_high), "torch_manual_seed": torch_manual_seed}
    return _select(0, log_prob, advantages, response_mask, old_log_prob, micro_batches, details, params)


def kl_cov_select(log_prob, advantages, response_mask=None, ratio=2e-4, *, micro_batches=1, details=False):
    """The tokens KL-Cov (Cui et al. 2025; verl ``compute_policy_loss_kl_cov``) penalises: the
    top ``max(1, ⌊ratio·N⌋)`` valid tokens by ``cov_i = (log π_i − mean)(A_i − mean)`` (ties by
    position), per micro-batch as in :func:`clip_cov_select`. Returns a bool array (and the
    counts with ``details=True``). The paper's ratio is 2e-3; verl's default, and ours, 2e-4."""
    return _select(1, log_prob, advantages, response_mask, None, micro_batches, details, {"kl_cov_ratio": float(ratio)})


def update_report(logits, action, advantage, lr, temperature=1.0):
    """One sampled policy-gradient step on free logits, as ``logitdyn update --json``:
    ``Δz = ηAβ(e_c − p)`` with ``p = softmax(βz)``, ``β = 1/τ``; ``update_norm`` next to the
    closed form ``η|A|β√(1 − 2p_c + C(p))`` (seed 002), ``zero_sum_residual = Σ Δz``,
    ``dH_predicted = −β Cov_p(log p, Δz)`` next to ``dH_actual = H(z + Δz) − H(z)``. Vector
    entries are NumPy arrays."""
    z = np.ascontiguousarray(_arrays.as_numpy(logits), dtype=np.float64).reshape(-1)
    result = ctypes.c_void_p()
    buffer = _native.error_buffer()
    status = _native.lib.ld_update_report(_pointer(z), z.size, int(action), float(advantage), float(lr),
                                          float(temperature), ctypes.byref(result), buffer, _native.ERROR_CAPACITY)
    _native.check(status, buffer)
    out = json.loads(_native.take_json(result))
    for key in ("probabilities", "log_probabilities", "delta_z"):
        out[key] = np.array([np.nan if v is None else v for v in out[key]], dtype=np.float64)
    return out


def qre_trace(game, lambda_max=50.0, lambdas=(), *, switch_branch=0, time_limit=60.0):
    """The principal branch of logit quantal-response equilibria ``x = softmax(λAy)``,
    ``y = softmax(λBᵀx)``, traced from ``λ = 0`` to ``lambda_max`` by pseudo-arc-length
    continuation (it passes folds; bifurcations are located), as ``logitdyn game trace``.

    ``game``: a library name (``"battle-of-the-sexes"``, ``"random-3x3-seed1"``, …) or a pair
    ``(A, B)`` of ``m × n`` payoff matrices. ``lambdas`` are solved exactly on the way.
    Returns ``lambda`` (points,), ``x`` (points, m), ``y`` (points, n), ``requested`` (the
    same three for ``lambdas``), ``events`` (folds and bifurcations), ``nash_conv_end`` and
    ``qre_residual_end``.
    """
    req = np.ascontiguousarray(lambdas, dtype=np.float64).reshape(-1)
    name, a, b, m, n = None, None, None, 0, 0
    if isinstance(game, str):
        name = game.encode()
    else:
        try:
            first, second = game
        except (TypeError, ValueError):
            raise ValueError("game must be a library name or a pair (A, B) of payoff matrices") from None
        a = np.ascontiguousarray(_arrays.as_numpy(first), dtype=np.float64)
        b = np.ascontiguousarray(_arrays.as_numpy(second), dtype=np.float64)
        if a.ndim != 2 or a.shape != b.shape:
            raise ValueError(f"payoff matrices must be two m × n arrays of one shape, got {a.shape} and {b.shape}")
        m, n = a.shape
    result = ctypes.c_void_p()
    buffer = _native.error_buffer()
    status = _native.lib.ld_qre_trace(name, m, n, _pointer(a), _pointer(b), float(lambda_max), req.size, _pointer(req),
                                      float(switch_branch), float(time_limit), ctypes.byref(result), buffer,
                                      _native.ERROR_CAPACITY)
    _native.check(status, buffer)
    out = json.loads(_native.take_json(result))

    def stack(points):
        return (np.array([p["lambda"] for p in points], dtype=np.float64),
                np.array([p["x"] for p in points], dtype=np.float64),
                np.array([p["y"] for p in points], dtype=np.float64))

    out["lambda"], out["x"], out["y"] = stack(out.pop("points"))
    lam, x, y = stack(out["requested"])
    out["requested"] = {"lambda": lam, "x": x, "y": y}
    return out
