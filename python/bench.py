#!/usr/bin/env python3
"""Benchmark and torch check of the Python binding.

    python python/bench.py                 # token_stats on [1024 × 151936] f32 and bf16
    python python/bench.py --check         # torch tensors (bf16 included) against torch's own ops
    python python/bench.py --shape 256x151936 --runs 3

In one run it times ``logitdyn.token_stats`` against the anchors of ``../shared/bench/token_stats.py``
(numpy; torch eager with 2 threads; ``torch.compile`` where it works), against the Swift kernel
itself (``Benchmarks/.build/release/fused-kernel-bench`` on the same shape, when built:
``cd Benchmarks && swift build -c release --product fused-kernel-bench``), and the call overhead
on a ``[64 × 8]`` input. torch is optional (its PyPI wheel carries CUDA and is several GB; a CPU
wheel: ``pip install torch --index-url https://download.pytorch.org/whl/cpu``); it is never
needed by the tests in CI.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

import numpy as np

import logitdyn

REPO = pathlib.Path(__file__).resolve().parent.parent
ANCHORS = REPO.parent / "shared" / "bench"


def best(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def anchor_module():
    sys.path.insert(0, str(ANCHORS))
    try:
        import token_stats as anchor
        return anchor
    except ImportError:
        return None
    finally:
        sys.path.pop(0)


def try_torch():
    try:
        import torch
        return torch
    except ImportError:
        return None


def kernel_bench(rows, vocab):
    """The Swift kernel's best seconds per dtype at 2 threads, from fused-kernel-bench."""
    binary = REPO / "Benchmarks" / ".build" / "release" / "fused-kernel-bench"
    if not binary.is_file():
        return {}
    out = subprocess.run([str(binary), "--shapes", f"{rows}x{vocab}", "--no-anchors"], capture_output=True, text=True)
    result = {}
    for line in out.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            if row.get("threads") == 2 and row["impl"].startswith("swift-fused-"):
                result[row["impl"][len("swift-fused-"):]] = row["best_s"]  # f32, f32+m2, bf16, f16
    return result


def bfloat16_bits(z):
    bits = z.view(np.uint32).astype(np.uint64)
    return (((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16)).astype(np.uint16)


def benchmark(args):
    rows, vocab = map(int, args.shape.lower().split("x"))
    rng = np.random.default_rng(0)
    z = (rng.standard_normal((rows, vocab), dtype=np.float32) * 2)
    tok = rng.integers(0, vocab, size=rows)
    gb = z.nbytes / 1e9
    print(f"logitdyn {logitdyn.__version__} ({logitdyn.library_path}); [{rows} × {vocab}] float32 {gb:.2f} GB, "
          f"{os.cpu_count()} cores; best of {args.runs}")
    ours = best(lambda: logitdyn.token_stats(z, tok, threads=2), args.runs)
    print(f"  logitdyn.token_stats f32, 2 threads   {ours * 1e3:9.1f} ms  {gb / ours:6.2f} GB/s (all fields)")
    plain = best(lambda: logitdyn.token_stats(z, tok, threads=2, second_moment=False), args.runs)
    print(f"  ... second_moment=False               {plain * 1e3:9.1f} ms  {gb / plain:6.2f} GB/s")
    bits = bfloat16_bits(z)
    ours_bf16 = best(lambda: logitdyn.token_stats(bits, tok, threads=2, dtype="bfloat16", second_moment=False), args.runs)
    print(f"  logitdyn.token_stats bf16, 2 threads  {ours_bf16 * 1e3:9.1f} ms  {bits.nbytes / 1e9 / ours_bf16:6.2f} GB/s (second_moment=False)")
    kernel = kernel_bench(rows, vocab)
    # The kernel benchmark's variants: f32 and bf16 without the second moment, f32+m2 with it.
    for name, mine in (("f32+m2", ours), ("f32", plain), ("bf16", ours_bf16)):
        if name in kernel:
            print(f"  Swift kernel (fused-kernel-bench) {name:6}{kernel[name] * 1e3:9.1f} ms   binding speed / kernel speed {kernel[name] / mine:5.2f}")
        else:
            print(f"  Swift kernel {name}: not measured (build Benchmarks' fused-kernel-bench in release)")
    anchor = anchor_module()
    if anchor is None:
        print(f"  anchors: {ANCHORS}/token_stats.py not found")
    else:
        t = best(lambda: anchor.numpy_stats(z, tok), 1)
        print(f"  anchor numpy f32                      {t * 1e3:9.1f} ms   ours/anchor {t / ours:6.1f}x")
        torch = try_torch()
        if torch is None:
            print("  anchor torch: not installed")
        else:
            _, f = anchor.make_torch()
            zt, tt = torch.from_numpy(z), torch.from_numpy(tok)
            t = best(lambda: f(zt, tt), args.runs)
            print(f"  anchor torch eager f32, 2 threads     {t * 1e3:9.1f} ms   ours/anchor {t / ours:6.1f}x")
            zb = zt.to(torch.bfloat16)
            t = best(lambda: f(zb, tt), args.runs)
            print(f"  anchor torch eager bf16, 2 threads    {t * 1e3:9.1f} ms   ours(bf16)/anchor {t / ours_bf16:6.1f}x")
            try:
                compiled = torch.compile(f)
                compiled(zt, tt)
                t = best(lambda: compiled(zt, tt), args.runs)
                print(f"  anchor torch.compile f32              {t * 1e3:9.1f} ms   ours/anchor {t / ours:6.1f}x")
            except Exception as error:  # no C++ compiler, unsupported platform, …
                print(f"  anchor torch.compile: skipped ({type(error).__name__}: {str(error).splitlines()[0][:100]})")
    small = rng.standard_normal((64, 8), dtype=np.float32)
    small_tok = rng.integers(0, 8, size=64)
    calls = 20000
    for _ in range(1000):
        logitdyn.token_stats(small, small_tok, threads=1)
    t = time.perf_counter()
    for _ in range(calls):
        logitdyn.token_stats(small, small_tok, threads=1)
    per_call = (time.perf_counter() - t) / calls
    print(f"  call overhead, token_stats on [64 × 8] f32: {per_call * 1e6:.2f} µs per call (target ≤ 5 µs)")


def check():
    """torch tensors, bf16 included, against torch's own logsumexp / softmax / entropy."""
    torch = try_torch()
    if torch is None:
        sys.exit("--check needs torch (pip install torch --index-url https://download.pytorch.org/whl/cpu)")
    torch.manual_seed(0)
    failures = 0
    for dtype, tol in ((torch.float32, 2e-5), (torch.float16, 2e-5), (torch.bfloat16, 2e-5), (torch.float64, 2e-6)):
        for shape in ((7, 33), (3, 5, 1000), (2, 151936)):
            z = (torch.randn(*shape, dtype=torch.float32) * 3).to(dtype)
            tok = torch.randint(0, shape[-1], shape[:-1])
            ours = logitdyn.token_stats(z, tok)
            zd = z.to(torch.float64)
            lse = torch.logsumexp(zd, -1)
            p = torch.softmax(zd, -1)
            logp_all = torch.log_softmax(zd, -1)
            want = {
                "lse": lse, "entropy": -(p * logp_all).sum(-1), "collision": (p * p).sum(-1),
                "logp": logp_all.gather(-1, tok[..., None])[..., 0],
            }
            for key, value in want.items():
                error = np.max(np.abs(ours[key] - value.numpy()) / np.maximum(1, np.abs(value.numpy())))
                ok = error <= tol
                failures += not ok
                print(f"  {'ok  ' if ok else 'FAIL'} {str(dtype):15} {str(shape):16} {key:9} max rel. error {error:.2e}")
            # A strided view (every other row) is read in place too.
            view = z[1, ::2] if z.dim() == 3 else z[::2]
            # ... without a copy: the view's pointer is the tensor's own memory.
            failures += logitdyn.logits_view(view).pointer != view.data_ptr()
            sub = logitdyn.token_stats(view)
            ref = torch.logsumexp(view.to(torch.float64), -1).numpy()
            failures += not np.allclose(sub["lse"], ref, rtol=tol, atol=tol)
    print("torch check:", "passed" if failures == 0 else f"{failures} failures")
    return failures == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with torch's own ops instead of timing")
    parser.add_argument("--shape", default="1024x151936", help="ROWSxVOCAB (default 1024x151936)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.check:
        sys.exit(0 if check() else 1)
    benchmark(args)


if __name__ == "__main__":
    main()
