import threading
import time

import numpy as np
import pytest

import logitdyn
import reference
from conftest import optional

FIELDS = ("lse", "entropy", "collision", "sum_p2_logp", "logp", "p", "norm_factor", "entropy_change")


def assert_stats(got, want, rtol=2e-6, atol=2e-6):
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=rtol, atol=atol, err_msg=key)


@pytest.mark.parametrize("vocab", [1, 7, 16, 17, 1000, 50257])
def test_float32_matches_float64_reference(rng, vocab):
    z = (rng.normal(size=(6, vocab)) * 3).astype(np.float32)
    tokens = rng.integers(0, vocab, size=6)
    assert_stats(logitdyn.token_stats(z, tokens), reference.token_stats(z, tokens))


def test_extreme_logits_and_temperature(rng):
    z = (rng.normal(size=(4, 4096)) * 1e4).astype(np.float32)  # one-hot-like rows
    z[1] = 0.0  # uniform
    z[2, :] = -1e4
    z[2, 5] = 1e4
    tokens = np.array([int(np.argmax(z[0])), 3, 5, 0])
    for temperature in (1.0, 0.7, 3.0):
        assert_stats(logitdyn.token_stats(z, tokens, temperature=temperature),
                     reference.token_stats(z, tokens, temperature), rtol=1e-5, atol=1e-6)


def test_half_and_double_inputs(rng):
    z = (rng.normal(size=(5, 333)) * 2).astype(np.float32)
    tokens = rng.integers(0, 333, size=5)
    half = z.astype(np.float16)
    assert_stats(logitdyn.token_stats(half, tokens), reference.token_stats(half.astype(np.float64), tokens))
    double = z.astype(np.float64)
    assert_stats(logitdyn.token_stats(double, tokens), reference.token_stats(double, tokens))


def test_bfloat16_through_ml_dtypes_and_bit_patterns(rng):
    ml_dtypes = optional("ml_dtypes")
    z = (rng.normal(size=(5, 1024)) * 4).astype(np.float32)
    tokens = rng.integers(0, 1024, size=5)
    want = reference.token_stats(reference.bf16_round(z), tokens)
    assert_stats(logitdyn.token_stats(z.astype(ml_dtypes.bfloat16), tokens), want)
    assert_stats(logitdyn.token_stats(reference.bf16_bits(z), tokens, dtype="bfloat16"), want)


def test_leading_shape_and_strided_rows(rng):
    big = (rng.normal(size=(3, 8, 600)) * 2).astype(np.float32)
    tokens = rng.integers(0, 300, size=(3, 4))
    view = big[:, ::2, 100:400]  # strided rows, an offset start
    got = logitdyn.token_stats(view, tokens)
    assert got["entropy"].shape == (3, 4)
    want = reference.token_stats(view.reshape(-1, 300), tokens.reshape(-1))
    assert_stats({k: v.reshape(-1) for k, v in got.items()}, want)
    columns = big[0, :, ::3]  # a strided last axis
    t = rng.integers(0, columns.shape[1], size=8)
    assert_stats(logitdyn.token_stats(columns, t), reference.token_stats(columns, t))
    fortran = np.asfortranarray(big[1])
    t = rng.integers(0, 600, size=8)
    assert_stats(logitdyn.token_stats(fortran, t), reference.token_stats(fortran, t))


def test_without_tokens_only_the_distribution_fields(rng):
    z = rng.normal(size=(3, 10)).astype(np.float32)
    got = logitdyn.token_stats(z)
    assert set(got) == {"lse", "entropy", "collision", "sum_p2_logp"}
    assert_stats(got, reference.token_stats(z))


def test_threads_do_not_change_results(rng):
    z = rng.normal(size=(64, 20000)).astype(np.float32)
    tokens = rng.integers(0, 20000, size=64)
    one = logitdyn.token_stats(z, tokens, threads=1)
    two = logitdyn.token_stats(z, tokens, threads=2)
    for key in FIELDS:
        assert np.array_equal(one[key], two[key]), key


def test_logits_are_read_in_place():
    z = np.zeros((4, 64), dtype=np.float32)
    view = logitdyn.logits_view(z)
    assert view.pointer == z.ctypes.data and view.owner is z
    assert (view.rows, view.vocab, view.row_stride, view.col_stride) == (4, 64, 64, 1)
    sub = z[1:, 8:40]
    view = logitdyn.logits_view(sub)
    assert view.pointer == sub.ctypes.data and view.owner is sub
    assert (view.rows, view.vocab, view.row_stride, view.col_stride) == (3, 32, 64, 1)
    assert np.shares_memory(view.owner, z)
    # Reading changes nothing and the result follows the memory: write, read again.
    z[2, 8] = 50.0
    assert logitdyn.token_stats(sub)["lse"][1] == pytest.approx(50.0, abs=1e-6)


def test_nonfinite_rows(rng):
    z = rng.normal(size=(4, 9)).astype(np.float32)
    z[2, 3] = np.nan
    with pytest.raises(ValueError, match="row 2"):
        logitdyn.token_stats(z)
    got = logitdyn.token_stats(z, allow_nonfinite=True)
    assert list(got["finite"]) == [True, True, False, True]
    assert np.isnan(got["entropy"][2]) and np.isfinite(got["entropy"][[0, 1, 3]]).all()
    z[2, 3] = np.inf
    with pytest.raises(ValueError, match="NaN or \\+inf"):
        logitdyn.token_stats(z)


def test_bad_inputs_raise(rng):
    z = rng.normal(size=(3, 5)).astype(np.float32)
    with pytest.raises(ValueError, match="dtype int32"):
        logitdyn.token_stats(z.astype(np.int32))
    with pytest.raises(ValueError, match="tokens have shape"):
        logitdyn.token_stats(z, np.array([0, 1]))
    with pytest.raises(ValueError, match="outside the vocabulary"):
        logitdyn.token_stats(z, np.array([0, 5, 1]))
    with pytest.raises(ValueError, match="outside the vocabulary"):
        logitdyn.token_stats(z, np.array([0, -100, 1]))
    with pytest.raises(ValueError, match="tokens must be integers"):
        logitdyn.token_stats(z, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="temperature"):
        logitdyn.token_stats(z, temperature=0.0)
    with pytest.raises(ValueError, match="temperature"):
        logitdyn.token_stats(z, temperature=float("nan"))
    with pytest.raises(ValueError, match="threads"):
        logitdyn.token_stats(z, threads=0)
    with pytest.raises(ValueError, match="col_stride is 0"):
        logitdyn.token_stats(np.broadcast_to(np.float32(1), (3, 5)))
    with pytest.raises(ValueError, match="empty last axis"):
        logitdyn.token_stats(np.zeros((3, 0), np.float32))
    with pytest.raises(ValueError, match="byte order"):
        logitdyn.token_stats(z.astype(">f4"))
    with pytest.raises(ValueError, match="evenly spaced rows"):
        logitdyn.token_stats(np.zeros((4, 6, 5), np.float32).transpose(1, 0, 2))
    with pytest.raises(ValueError, match="dtype='bfloat16'"):
        logitdyn.token_stats(z.view(np.uint16))
    with pytest.raises(ValueError, match="scalar"):
        logitdyn.token_stats(np.float32(1.0))


def test_the_gil_is_released_while_the_kernel_runs(rng):
    # One row read many times (row stride 0): a long call on little memory.
    row = rng.normal(size=(1, 65536)).astype(np.float32)
    start = time.perf_counter()
    logitdyn.token_stats(np.broadcast_to(row, (64, 65536)), threads=1)
    per_row = (time.perf_counter() - start) / 64
    rows = int(min(200_000, max(64, 0.4 / per_row)))
    logits = np.broadcast_to(row, (rows, 65536))
    # The rate of a pure-Python loop alone.
    count, until = 0, time.perf_counter() + 0.05
    while time.perf_counter() < until:
        count += 1
    rate = count / 0.05
    done = threading.Event()
    spent = []

    def work():
        t0 = time.perf_counter()
        logitdyn.token_stats(logits, threads=1)
        spent.append(time.perf_counter() - t0)
        done.set()

    worker = threading.Thread(target=work)
    count = 0
    worker.start()
    while not done.is_set():
        count += 1
        time.perf_counter()
    worker.join()
    # With the GIL held, this thread would run only between switch intervals (~5 ms).
    assert spent[0] > 0.1
    assert count > 0.25 * rate * spent[0], (count, rate, spent[0])


@pytest.mark.parametrize("vocab", [2, 8, 64, 65, 300])
def test_extreme_and_masked_entries_on_both_paths(rng, vocab):
    # Rows up to 64 entries are computed in Double, longer ones by the fused kernel.
    z = (rng.normal(size=(5, vocab)) * 1e4).astype(np.float32)
    z[1, : vocab // 2] = -np.inf  # masked entries have probability 0
    z[2] = -np.inf
    z[2, 1] = 3.0  # one finite entry: p = 1
    z[3] = 0.0
    z[3, 0] = 40.0  # p_c → 1 for c = 0: the norm factor without cancellation
    tokens = np.array([int(np.argmax(z[0])), vocab - 1, 1, 0, 1])
    got = logitdyn.token_stats(z, tokens)
    finite_stand_in = z.astype(np.float64)
    finite_stand_in[np.isneginf(finite_stand_in)] = -1e300  # exp(−1e300 − max) = 0, as for −∞
    want = reference.token_stats(finite_stand_in, tokens)
    assert_stats(got, want, rtol=1e-5, atol=1e-9)
    assert got["entropy"][2] == 0 and got["p"][2] == 1 and got["norm_factor"][2] == 0
    exact = np.sqrt((vocab - 1) * np.exp(-80.0) + ((vocab - 1) * np.exp(-40.0)) ** 2) / (1 + (vocab - 1) * np.exp(-40.0))
    assert got["norm_factor"][3] == pytest.approx(exact, rel=1e-4)
    with pytest.raises(ValueError, match="row 0"):
        logitdyn.token_stats(np.full((2, vocab), -np.inf, np.float32))


def test_fast_path_matches_the_general_view(rng):
    z = rng.normal(size=(6, 40)).astype(np.float32)
    tokens = rng.integers(0, 40, size=6)
    fast = logitdyn.token_stats(z, tokens)
    general = logitdyn.token_stats(z.reshape(1, 6, 40), tokens.reshape(1, 6))
    for key in FIELDS:
        assert np.array_equal(fast[key], general[key].reshape(-1)), key
    with pytest.raises(ValueError, match="byte order"):
        logitdyn.token_stats(z.astype(">f4"))
    assert logitdyn.token_stats(z, tokens.astype(np.int32))["logp"].tolist() == fast["logp"].tolist()
    readonly = z.copy()
    readonly.flags.writeable = False
    assert np.array_equal(logitdyn.token_stats(readonly, tokens)["lse"], fast["lse"])
