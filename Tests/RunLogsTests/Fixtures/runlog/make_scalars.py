#!/usr/bin/env python3
"""Writes the scalar-curve fixtures that need no torch:

  tensorboard/verl_tensor/events.out.tfevents.1767225600.fixture-host.4242.0
      written by tensorboard's own framework-free writer, tensorboard.summary.Writer (tensorboard 2.21.0).
      Tensor-based summaries: each Summary.Value has `tensor` (DT_FLOAT, shape [], float32) and
      `metadata` (plugin_data.plugin_name "scalars", data_class DATA_CLASS_SCALAR); no simple_value.
      Tags: verl's metric names (verl/trainer/ppo/metric_utils.py, ray_trainer.py, dp_actor.py,
      core_algos.py @ b178a3c).
  verl/file_logger/gsm8k_grpo.jsonl
      verl's own "file" tracking backend (verl/utils/tracking.py FileLogger @ b178a3c): one line per
      logger.log call, orjson.dumps({"step": step, "data": {tag: value}}, option=OPT_SERIALIZE_NUMPY).
  scalars.csv, scalars.jsonl
      the same curves as a plain table: column `step` then one column per verl tag (empty cell /
      absent key where a tag has no value at that step, e.g. validation tags).

Curves (t = step = 1..60; verl's global_steps start at 1, validation also runs at step 0):
  H(t) = 1.2 * exp(-t / 20) + 0.05                                  -> actor/entropy (no noise)
  R(t) = -a * exp(H(t)) + b + eps,  a = 0.5, b = 0.9, eps ~ N(0, 0.01^2) -> critic/score/mean
All values are rounded to float32 once (what TensorBoard stores) and written with the same digits
everywhere (CSV/JSONL hold repr(float(np.float32(v)))), so the three files agree exactly.

Needs tensorboard, numpy and orjson. Deterministic: numpy.random.default_rng(20260601); wall times are
1767225600 + 30 * step; the event file name's time/host/pid are pinned by patching them while the
writer is built. Run: python3 make_scalars.py
"""

import csv
import json
import math
import os
import shutil
import socket

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
A, B = 0.5, 0.9
STEPS = list(range(1, 61))
VAL_STEPS = [0, 10, 20, 30, 40, 50, 60]
T0 = 1767225600.0  # 2026-01-01T00:00:00Z
HOST, PID = "fixture-host", 4242


def f32(x):
    return float(np.float32(x))


def entropy(t):
    return 1.2 * math.exp(-t / 20.0) + 0.05


def curves():
    """Returns {step: {tag: float32-valued float}} with verl tag names, steps 0..60."""
    rng = np.random.default_rng(20260601)
    eps = rng.normal(0.0, 0.01, len(STEPS))
    out = {0: {}}
    for i, t in enumerate(STEPS):
        h = entropy(t)
        r = -A * math.exp(h) + B + eps[i]
        row = {
            # ray_trainer.py: old_log_prob recompute -> "actor/entropy" (agg_loss of per-token entropy)
            "actor/entropy": h,
            # dp_actor.py / core_algos.py: policy-loss metrics, mean over micro batches
            "actor/pg_loss": rng.normal(0.0, 0.02),
            "actor/pg_clipfrac": 0.002 + 0.004 * math.exp(-t / 30.0) + abs(rng.normal(0.0, 0.0005)),
            "actor/ppo_kl": 1e-4 * (1.0 + rng.random()),
            "actor/grad_norm": 0.25 + 0.1 * math.exp(-t / 15.0) + abs(rng.normal(0.0, 0.02)),
            # metric_utils.compute_data_metrics
            "critic/score/mean": r,
            "critic/rewards/mean": r,  # == score when use_kl_in_reward is False
            "critic/advantages/mean": rng.normal(0.0, 1e-3),
            "response_length/mean": 180.0 + 120.0 * (1.0 - math.exp(-t / 25.0)) + rng.normal(0.0, 3.0),
            "training/global_step": t,  # ints in verl (self.global_steps, epoch)
            "training/epoch": 0,
        }
        out[t] = row
    for t in VAL_STEPS:  # _val_metrics_update: val-core/<data_source>/<var>/<metric>; data_source has a "/"
        clean = lambda u: -A * math.exp(entropy(u)) + B
        acc = 0.2 + 0.6 * (clean(t) - clean(0)) / (clean(60) - clean(0))  # 0.2 -> 0.8, no noise
        out[t].update({
            "val-core/openai/gsm8k/acc/mean@4": acc,
            "val-aux/openai/gsm8k/reward/mean@4": acc,
        })
    return {t: {k: (v if isinstance(v, int) else f32(v)) for k, v in row.items()} for t, row in out.items()}


def tags(rows):
    seen = []
    for t in sorted(rows, key=lambda t: (t == 0, t)):  # training tags first, validation-only step 0 last
        for k in rows[t]:
            if k not in seen:
                seen.append(k)
    return seen


class pinned_clock:
    """Pins time.time/hostname/pid inside tensorboard's EventFileWriter while a writer is created."""

    def __init__(self, module, now):
        self.module, self.now = module, now

    def __enter__(self):
        m = self.module
        self.saved = (m.time, m.socket, os.getpid)
        now = self.now

        class _T:
            @staticmethod
            def time():
                return now

        class _S:
            @staticmethod
            def gethostname():
                return HOST

        m.time, m.socket = _T, _S
        os.getpid = lambda: PID

    def __exit__(self, *exc):
        self.module.time, self.module.socket, os.getpid = self.saved


def write_tensorboard_tensor(rows, logdir):
    from tensorboard.summary import Writer
    from tensorboard.summary.writer import event_file_writer

    shutil.rmtree(logdir, ignore_errors=True)
    with pinned_clock(event_file_writer, T0):
        w = Writer(logdir)  # DirectoryOutput -> EventFileWriter (file_version event written here)
    for t in sorted(rows):
        for k, v in rows[t].items():
            w.add_scalar(k, v, t, wall_time=T0 + 30.0 * t)
    w.close()


def write_verl_file_logger(rows, path):
    import orjson

    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb", buffering=0) as fp:
        # ray_trainer.fit: validation before training is logged on its own at step 0
        for t in sorted(rows):
            data = rows[t]
            fp.write(orjson.dumps({"step": t, "data": data}, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")


def write_tables(rows, csv_path, jsonl_path):
    cols = tags(rows)
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["step"] + cols)
        for t in sorted(rows):
            w.writerow([t] + [repr(rows[t][c]) if c in rows[t] else "" for c in cols])
    with open(jsonl_path, "w") as f:
        for t in sorted(rows):
            f.write(json.dumps({"step": t, **rows[t]}) + "\n")


if __name__ == "__main__":
    rows = curves()
    write_tensorboard_tensor(rows, os.path.join(HERE, "tensorboard", "verl_tensor"))
    write_verl_file_logger(rows, os.path.join(HERE, "verl", "file_logger", "gsm8k_grpo.jsonl"))
    write_tables(rows, os.path.join(HERE, "scalars.csv"), os.path.join(HERE, "scalars.jsonl"))
    for p in ["scalars.csv", "scalars.jsonl", "verl/file_logger/gsm8k_grpo.jsonl"] + [
        os.path.join("tensorboard/verl_tensor", n) for n in sorted(os.listdir(os.path.join(HERE, "tensorboard", "verl_tensor")))
    ]:
        print(f"{p}\t{os.path.getsize(os.path.join(HERE, p))}")
