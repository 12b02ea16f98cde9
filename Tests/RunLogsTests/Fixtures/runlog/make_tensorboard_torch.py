#!/usr/bin/env python3
"""Writes TensorBoard event files with torch.utils.tensorboard.SummaryWriter (torch 2.13.0+cpu,
tensorboard 2.21.0). add_scalar's default new_style=False writes *simple_value* summaries (no tensor,
no plugin metadata); add_text writes a tensor-based summary (DT_STRING, plugin "text").

  tensorboard/trl/events.out.tfevents.1767225600.fixture-host.4242.0
      TRL GRPOTrainer through transformers' TensorBoardCallback:
        on_train_begin: add_text("args", TrainingArguments JSON), add_text("model_config", config JSON)
        on_log: rewrite_logs() -> "train/<key>" (or "eval/<key>" for eval_ keys), then
                add_scalar(k, v, state.global_step) for int/float values, add_text for str values,
                None values (a metric with only NaNs, see GRPOTrainer.log) dropped.
      Keys: Trainer's loss, grad_norm, learning_rate, then GRPOTrainer._metrics["train"] in insertion
      order (trl/trainer/grpo_trainer.py @ f2cd577), then epoch; the final on_log carries the
      train_runtime / train_samples_per_second / train_steps_per_second / total_flos / train_loss summary.
      Run as configured here: logging_steps=1, beta=0.04 (so train/kl exists), loss_type "dapo",
      one reward function named "accuracy_reward".
  tensorboard/verl/events.out.tfevents.1767225600.fixture-host.4242.1
      what verl itself writes (verl/utils/tracking.py _TensorboardAdapter: SummaryWriter, add_scalar
      for every key of each logged dict) for the same verl curves as make_scalars.py.

Same curves as make_scalars.py: H(t) = 1.2 exp(-t/20) + 0.05, R(t) = -0.5 exp(H) + 0.9 + N(0, 0.01^2).
Deterministic (default_rng(20260602) for the extra TRL-only series). Needs torch + tensorboard + numpy:
  python3 -m venv /tmp/tbvenv && /tmp/tbvenv/bin/pip install <torch cpu wheel> tensorboard numpy orjson
  /tmp/tbvenv/bin/python make_tensorboard_torch.py
"""

import json
import math
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_scalars import HERE, STEPS, T0, curves, f32, pinned_clock  # noqa: E402


def rewrite_logs(d):
    """transformers.integrations.integration_utils.rewrite_logs"""
    new_d = {}
    for k, v in d.items():
        if k.startswith("eval_"):
            new_d["eval/" + k[len("eval_"):]] = v
        elif k.startswith("test_"):
            new_d["test/" + k[len("test_"):]] = v
        else:
            new_d["train/" + k] = v
    return new_d


def trl_logs(rows):
    """One dict per Trainer.log call, keys as GRPOTrainer produces them (before rewrite_logs)."""
    rng = np.random.default_rng(20260602)
    num_tokens = 0
    out = []
    for t in STEPS:
        v = rows[t]
        h, r = v["actor/entropy"], v["critic/score/mean"]
        mean_len = v["response_length/mean"]
        num_tokens += int(16 * (110 + mean_len))
        clipped = max(0.0, 0.02 + rng.normal(0, 0.01))
        metrics = {
            "num_tokens": float(num_tokens),
            "completions/mean_length": mean_len,
            "completions/min_length": mean_len - 95.0,
            "completions/max_length": 512.0,
            "completions/clipped_ratio": clipped,
            "completions/mean_terminated_length": mean_len - 8.0,
            "completions/min_terminated_length": mean_len - 95.0,
            "completions/max_terminated_length": 498.0,
            "rewards/accuracy_reward/mean": r,
            "rewards/accuracy_reward/std": 0.45 + rng.normal(0, 0.02),
            "reward": r,
            "reward_std": 0.45 + rng.normal(0, 0.02),
            "frac_reward_zero_std": min(1.0, max(0.0, 0.1 + 0.004 * t + rng.normal(0, 0.03))),
            "kl": 2e-4 * t * (1.0 + 0.1 * rng.random()),
            "entropy": h,
            "clip_ratio/low_mean": abs(rng.normal(0, 4e-4)),
            "clip_ratio/low_min": 0.0,
            "clip_ratio/high_mean": abs(rng.normal(0, 6e-4)),
            "clip_ratio/high_max": abs(rng.normal(0, 3e-3)),
            "clip_ratio/region_mean": abs(rng.normal(0, 8e-4)),
            "step_time": 30.0 + rng.normal(0, 1.0),
        }
        logs = {
            "loss": v["actor/pg_loss"],
            "grad_norm": v["actor/grad_norm"],
            "learning_rate": 1e-6 * (1.0 - (t - 1) / 60.0),
        }
        logs.update(metrics)
        logs["epoch"] = t / 60.0
        out.append((t, {k: (f32(x) if isinstance(x, float) else x) for k, x in logs.items()}))
    # Trainer.train() end: the summary log at the last global step
    out.append((STEPS[-1], {
        "train_runtime": 1812.4,
        "train_samples_per_second": 0.53,
        "train_steps_per_second": 0.033,
        "total_flos": 0.0,
        "train_loss": f32(sum(rows[t]["actor/pg_loss"] for t in STEPS) / len(STEPS)),
        "epoch": 1.0,
    }))
    return out


def write_trl(rows, logdir):
    from tensorboard.summary.writer import event_file_writer
    from torch.utils.tensorboard import SummaryWriter

    shutil.rmtree(logdir, ignore_errors=True)
    with pinned_clock(event_file_writer, T0):
        w = SummaryWriter(logdir)
        w._get_file_writer()  # the event file (and its file_version record) is created here
    args = {"output_dir": "Qwen3-0.6B-GRPO", "learning_rate": 1e-06, "logging_steps": 1, "beta": 0.04,
            "loss_type": "dapo", "num_generations": 8, "report_to": ["tensorboard"]}
    w.add_text("args", json.dumps(args, indent=2, sort_keys=True), walltime=T0)
    w.add_text("model_config", json.dumps({"model_type": "qwen3", "vocab_size": 151936}, indent=2), walltime=T0)
    for t, logs in trl_logs(rows):
        for k, v in rewrite_logs(logs).items():
            if isinstance(v, (int, float)):
                w.add_scalar(k, v, t, walltime=T0 + 30.0 * t)
            elif isinstance(v, str):
                w.add_text(k, v, t, walltime=T0 + 30.0 * t)
        w.flush()
    w.close()


def write_verl(rows, logdir):
    from tensorboard.summary.writer import event_file_writer
    from torch.utils.tensorboard import SummaryWriter

    shutil.rmtree(logdir, ignore_errors=True)
    with pinned_clock(event_file_writer, T0):
        w = SummaryWriter(logdir)
        w._get_file_writer()
    for t in sorted(rows):
        for k, v in rows[t].items():
            w.add_scalar(k, v, t, walltime=T0 + 30.0 * t)
    w.close()


if __name__ == "__main__":
    rows = curves()
    write_trl(rows, os.path.join(HERE, "tensorboard", "trl"))
    write_verl(rows, os.path.join(HERE, "tensorboard", "verl"))
    for sub in ("trl", "verl"):
        d = os.path.join(HERE, "tensorboard", sub)
        for n in sorted(os.listdir(d)):
            print(f"tensorboard/{sub}/{n}\t{os.path.getsize(os.path.join(d, n))}")
