#!/usr/bin/env python3
"""Writes the open-instruct saved-rollout fixtures under open_instruct/rollouts/.

Follows the writer field for field:
  allenai/open-instruct @ e6c3044aa6201c8bfa4573c1b03142af599e730d (2026-08-20)
  open_instruct/rl_utils.py     RolloutMetadata, RolloutRecord, save_rollout_metadata, _save_rollouts,
                                save_rollouts_to_disk (ROLLOUT_SHARD_SIZE = 10000)
  open_instruct/data_loader.py  DataPreparationActor._data_preparation_loop (step = training_step,
                                0-based; advantages = scores - group mean ("centered", the default);
                                groups with zero reward std are filtered before saving by default)
  open_instruct/vllm_utils.py   per-token logprobs; an empty "stop" response becomes [eos] with
                                logprob NaN (written by json.dumps as the bare token NaN)

Files: {run_name}_metadata.jsonl (one line, rewritten when the data-prep actor starts) and
{run_name}_rollouts_{shard:06d}.jsonl, appended one batch at a time. The shard of a whole batch is
total_samples_written // ROLLOUT_SHARD_SIZE, computed before the batch, so a shard can exceed the
shard size. This fixture uses SHARD_SIZE = 24 instead of 10000 so that four steps span three shards.

Simulated numbers only; deterministic (numpy.random.default_rng(20260820)). Run: python3 make_open_instruct.py
"""

import json
import os
import shutil
from dataclasses import asdict, dataclass

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "open_instruct", "rollouts")
SHARD_SIZE = 24  # real: rl_utils.ROLLOUT_SHARD_SIZE = 10000
RUN_NAME = "grpo_qwen3_0.6b_gsm8k__1__1767225600"  # grpo_fast: f"{exp_name}__{seed}__{int(time.time())}"
N = 4  # num_samples_per_prompt_rollout (default 4)
PROMPTS_PER_STEP = 4  # num_unique_prompts_rollout
VERIFICATION_REWARD = 10.0  # StreamingDataLoaderConfig.verification_reward default
RESPONSE_LENGTH = 40  # response_length (max new tokens)
EOS = 151645  # Qwen3 <|im_end|>
rng = np.random.default_rng(20260820)


@dataclass
class RolloutMetadata:
    run_name: str
    git_commit: str
    model_name: str
    timestamp: str


@dataclass
class RolloutRecord:
    step: int
    sample_idx: int
    prompt_idx: int
    prompt_tokens: list
    response_tokens: list
    reward: float
    advantage: float
    finish_reason: str
    dataset: str
    ground_truth: object = None  # annotated list[int] | None upstream; really the dataset's ground_truth value
    request_info: dict = None
    logprobs: list = None


def request_info_no_tools():
    # vllm_utils: without tools, RequestInfo is filled with these per-sample defaults;
    # rl_utils._get_request_info_for_sample picks element i of each list.
    return {
        "num_calls": 0,
        "timeouts": False,
        "tool_errors": "",
        "tool_outputs": "",
        "tool_runtimes": 0.0,
        "tool_calleds": False,
        "tool_call_stats": [],
        "rollout_state": {},
    }


def prompt_tokens(n_words):
    return [151644, 872, 198] + rng.integers(100, 100000, n_words).tolist() + [151645, 198, 151644, 77091, 198]


def response(stop, n):
    toks = rng.integers(10, 100000, n).tolist()
    confident = rng.random(n) < 0.7
    p = np.where(confident, 1.0 - np.exp(rng.uniform(-9, -3, n)), rng.uniform(0.05, 0.9, n))
    lps = np.log(p).astype(np.float32).astype(float).tolist()  # vLLM returns float32-valued logprobs
    if stop:
        toks[-1] = EOS
    return toks, lps


def main():
    if os.path.isdir(os.path.join(HERE, "open_instruct")):
        shutil.rmtree(os.path.join(HERE, "open_instruct"))
    os.makedirs(OUT)
    meta = RolloutMetadata(RUN_NAME, "unknown", "Qwen/Qwen3-0.6B", "2026-01-01T00:00:00.000000+00:00")
    with open(os.path.join(OUT, f"{RUN_NAME}_metadata.jsonl"), "w") as f:
        f.write(json.dumps(asdict(meta)) + "\n")

    total_samples_written = 0
    for step in range(4):
        queries, responses, logprobs, scores, finish, datasets, gts = [], [], [], [], [], [], []
        for p in range(PROMPTS_PER_STEP):
            math_ds = (step + p) % 3 == 2
            q = prompt_tokens(int(rng.integers(6, 14)))
            gt = ["\\frac{3}{4}"] if math_ds else str(int(rng.integers(2, 500)))
            while True:  # filter_zero_std_samples=True: a group whose rewards all agree is dropped
                correct = rng.random(N) < (0.25 + 0.15 * step)
                group = []
                for j in range(N):
                    length_cut = rng.random() < 0.15
                    n = RESPONSE_LENGTH if length_cut else int(rng.integers(10, RESPONSE_LENGTH))
                    toks, lps = response(not length_cut, n)
                    fr = "length" if length_cut else "stop"
                    if step == 1 and p == 2 and j == 3:  # empty "stop" response -> [eos], logprob NaN
                        toks, lps, fr = [EOS], [float("nan")], "stop"
                    score = VERIFICATION_REWARD if (correct[j] and fr == "stop" and len(toks) > 1) else 0.0
                    group.append((toks, lps, fr, score))
                if len({g[3] for g in group}) > 1:
                    break
            for toks, lps, fr, score in group:
                queries.append(q)
                responses.append(toks)
                logprobs.append(lps)
                scores.append(score)
                finish.append(fr)
                datasets.append("math" if math_ds else "gsm8k")
                gts.append(gt)
        s = np.array(scores)
        grouped = s.reshape(-1, N)
        mean = np.repeat(grouped.mean(axis=-1), N, axis=0)
        advantages = s - mean  # advantage_normalization_type == "centered" (default)

        shard_idx = total_samples_written // SHARD_SIZE
        path = os.path.join(OUT, f"{RUN_NAME}_rollouts_{shard_idx:06d}.jsonl")
        records = [
            asdict(
                RolloutRecord(
                    step=step,
                    sample_idx=i,
                    prompt_idx=i // N,
                    prompt_tokens=queries[i],
                    response_tokens=responses[i],
                    reward=float(scores[i]),
                    advantage=float(advantages[i]),
                    finish_reason=finish[i],
                    dataset=datasets[i],
                    ground_truth=gts[i],
                    request_info=request_info_no_tools(),
                    logprobs=logprobs[i],
                )
            )
            for i in range(len(queries))
        ]
        with open(path, "a") as f:
            for record in records:
                f.write(json.dumps(record) + "\n")
        total_samples_written += len(queries)

    for name in sorted(os.listdir(OUT)):
        print(f"open_instruct/rollouts/{name}\t{os.path.getsize(os.path.join(OUT, name))}")


if __name__ == "__main__":
    main()
