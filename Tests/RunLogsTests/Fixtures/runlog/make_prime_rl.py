#!/usr/bin/env python3
"""Writes the prime-rl token-export fixtures under prime_rl/ and prime_rl_legacy/.

Follows the writer field for field:
  PrimeIntellect-ai/prime-rl @ 559b44772e471d1538537b8805cc77f3824a5e64 (2026-08-21)
  src/prime_rl/trainer/rl/token_export.py   (TokenExporter, SCHEMA_VERSION = 1)
  src/prime_rl/trainer/rl/train.py          (export call per micro step, barrier + mark_stable per step)
  src/prime_rl/trainer/batch.py             (prepare_sample / First-Fit-Decreasing packing / rank partition)
  src/prime_rl/trainer/rl/loss.py           (compute_importance_ratio_and_mismatch_kl, shift_tensor_right)
  verifiers @ a60a606 verifiers/v1/trace.py (Branch.logprobs / advantages: 0.0 on unsampled tokens)

The legacy fixture follows the same file at 0be5ac452^ (layout used from 2026-06-10 to 2026-06-27:
still schema_version 1, plus export_step / run_id / training_mode / per-token rewards, no
*_weights columns, advantages broadcast over every token).

Only the numbers are simulated (no model is run): every field the exporter derives from other
fields (log_importance_ratio, importance_ratio, mismatch_kl, prob_delta, is_masked*) is computed
here with the exporter's formulas in float32, the same dtype the trainer uses, and every float goes
through the exporter's `_json_float` (non-finite -> null) and `json.dumps(separators=(",", ":"),
allow_nan=False)`.

Deterministic: numpy.random.default_rng(20260821). Run: python3 make_prime_rl.py
"""

import heapq
import json
import math
import os
import shutil

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_VERSION = 1
VOCAB = 151936  # Qwen3 vocab size (model.config.vocab_size)
# train.py: shift_tensor_right(out["logprobs"], pad_value=torch.log(torch.tensor(1.0 / vocab_size)).item())
POS0_LOGPROB = float(np.log(np.float32(1.0 / VOCAB), dtype=np.float32))
# train.py: shift_tensor_right(out["entropy"], pad_value=torch.log(torch.tensor(float(vocab_size))).item())
POS0_ENTROPY = float(np.log(np.float32(VOCAB), dtype=np.float32))
DPPO_MASK_LOW = 0.2  # DefaultLossConfig defaults
DPPO_MASK_HIGH = 0.2
SEQ_LEN = 128  # orchestrator seq_len (max packed micro-batch length)
NUM_TRAIN_WORKERS = 2  # data-parallel ranks
GROUP_SIZE = 4
IM_START, IM_END, NL, USER, ASSISTANT = 151644, 151645, 198, 872, 77091

rng = np.random.default_rng(20260821)
f32 = np.float32


# ----------------------------------------------------------------------------------------------
# Exporter helpers (token_export.py)
# ----------------------------------------------------------------------------------------------
def _json_float(value):
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return value


def floats(arr):
    return [_json_float(v) for v in np.asarray(arr, dtype=np.float32).reshape(-1).tolist()]


def bools(arr):
    return [bool(v) for v in np.asarray(arr).reshape(-1).tolist()]


def export_tensors(trainer_lp, inference_lp, loss_mask, advantages):
    """_compute_export_tensors with the DefaultLossConfig branch (float32, like torch)."""
    with np.errstate(over="ignore", invalid="ignore"):
        log_ratio = (trainer_lp - inference_lp).astype(f32)
        ratio = np.exp(log_ratio).astype(f32)
        mismatch_kl = (ratio - log_ratio - f32(1)).astype(f32)
        prob_delta = (np.exp(trainer_lp).astype(f32) - np.exp(inference_lp).astype(f32)).astype(f32)
        invalid_high = prob_delta > DPPO_MASK_HIGH
        invalid_low = prob_delta < -DPPO_MASK_LOW
    pos, neg = advantages > 0, advantages < 0
    invalid = np.where(pos, invalid_high, invalid_low)  # advantage == 0 falls into the "low" test
    return {
        "log_importance_ratio": log_ratio,
        "importance_ratio": ratio,
        "mismatch_kl": mismatch_kl,
        "prob_delta": prob_delta,
        "is_masked": loss_mask & invalid,
        "is_masked_high": loss_mask & pos & invalid_high,
        "is_masked_low": loss_mask & neg & invalid_low,
    }


# ----------------------------------------------------------------------------------------------
# Packing (batch.py: packed_samples_into_micro_bs, _expand_bins_by_splitting, balanced_partition)
# Ported logic, bin_cost = token count (build_bin_cost(None)).
# ----------------------------------------------------------------------------------------------
def bin_cost(seqlens):
    return sum(seqlens)


class _WeightedSet:
    def __init__(self):
        self.total, self.items = 0, []

    def add(self, idx, weight):
        self.items.append(idx)
        self.total += weight

    def merge(self, other):
        self.items.extend(other.items)
        self.total += other.total

    def __lt__(self, other):
        if self.total != other.total:
            return self.total < other.total
        return self.items < other.items


class _KKState:
    def __init__(self, items, k):
        self.sets = [_WeightedSet() for _ in range(k)]
        for set_idx, (idx, weight) in enumerate(items):
            self.sets[set_idx].add(idx, weight)
        self.sets.sort(reverse=True)

    @property
    def spread(self):
        return self.sets[0].total - self.sets[-1].total

    def merge(self, other):
        k = len(self.sets)
        for i in range(k):
            self.sets[i].merge(other.sets[k - 1 - i])
        self.sets.sort(reverse=True)

    def partitions(self):
        return [sorted(s.items) for s in self.sets]

    def __lt__(self, other):
        if self.spread != other.spread:
            return self.spread > other.spread
        return self.sets[0] > other.sets[0]


def balanced_partition(weights, k):
    wi = sorted((w, i) for i, w in enumerate(weights))
    states = []
    for off in range(0, len(wi), k):
        heapq.heappush(states, _KKState([(i, w) for w, i in wi[off : off + k]], k))
    while len(states) > 1:
        s = heapq.heappop(states)
        s.merge(heapq.heappop(states))
        heapq.heappush(states, s)
    parts = [list(p) for p in states[0].partitions()]
    loads = [sum(weights[i] for i in p) for p in parts]
    while True:  # _refine_by_swapping
        best, best_score = None, (max(loads), max(loads) - min(loads))
        for a in range(len(parts)):
            for b in range(a + 1, len(parts)):
                for pa, ia in enumerate(parts[a]):
                    for pb, ib in enumerate(parts[b]):
                        nl = list(loads)
                        nl[a] = loads[a] - weights[ia] + weights[ib]
                        nl[b] = loads[b] - weights[ib] + weights[ia]
                        score = (max(nl), max(nl) - min(nl))
                        if score < best_score:
                            best_score, best = score, (a, b, pa, pb, nl)
        if best is None:
            return parts
        a, b, pa, pb, loads = best
        parts[a][pa], parts[b][pb] = parts[b][pb], parts[a][pa]


def pack(samples):
    """Returns per-rank lists of micro batches; each micro batch is a list of samples."""
    samples = sorted(samples, key=lambda s: -len(s["token_ids"]))  # stable, decreasing length
    bins = []
    for s in samples:
        for b in bins:
            if sum(len(x["token_ids"]) for x in b) + len(s["token_ids"]) <= SEQ_LEN:
                b.append(s)
                break
        else:
            bins.append([s])
    target = max(-(-len(bins) // NUM_TRAIN_WORKERS) * NUM_TRAIN_WORKERS, NUM_TRAIN_WORKERS)
    while len(bins) < target:  # _expand_bins_by_splitting
        cands = [(bin_cost([len(x["token_ids"]) for x in b]), i) for i, b in enumerate(bins) if len(b) > 1]
        if not cands:
            break
        _, i = max(cands)
        ranked = sorted(bins[i], key=lambda x: -len(x["token_ids"]))
        left, right, lw, rw = [], [], 0, 0
        for x in ranked:
            if lw <= rw:
                left.append(x)
                lw += len(x["token_ids"])
            else:
                right.append(x)
                rw += len(x["token_ids"])
        bins[i] = left
        bins.append(right)
    while len(bins) % NUM_TRAIN_WORKERS:  # _pad_group_for_distribution: dummy batch, loss_mask all False
        bins.append([dict(bins[0][0], loss_mask=[False] * len(bins[0][0]["token_ids"]), dummy=True)])
    weights = [bin_cost([len(x["token_ids"]) for x in b]) for b in bins]
    return [[bins[i] for i in part] for part in balanced_partition(weights, NUM_TRAIN_WORKERS)]


# ----------------------------------------------------------------------------------------------
# Simulated rollouts (what the orchestrator would send: TrainingSample)
# ----------------------------------------------------------------------------------------------
def logsig(x):
    return -np.log1p(np.exp(-x))


def entropy_of(p, k):
    """Entropy of a distribution with mass p on the sampled token and 1-p spread over k others."""
    q = max(1.0 - p, 1e-12)
    return -p * math.log(max(p, 1e-12)) - q * math.log(q / k)


def make_prompt(n_words):
    return [IM_START, USER, NL] + rng.integers(100, 100000, n_words).tolist() + [IM_END, NL, IM_START, ASSISTANT, NL]


def sampled_span(n, stop):
    """Token ids, sampling (vLLM) logprobs, trainer logprobs and trainer entropies for one sampled span."""
    ids = rng.integers(10, 100000, n).tolist()
    if stop:
        ids[-1] = IM_END
    confident = rng.random(n) < 0.7
    p_inf = np.where(confident, 1.0 - np.exp(rng.uniform(-9, -3, n)), rng.uniform(0.05, 0.9, n))
    logit_inf = np.log(p_inf) - np.log1p(-p_inf)
    logit_tr = logit_inf + rng.normal(0, 0.05, n)  # trainer/inference numerical mismatch
    inf_lp = logsig(logit_inf).astype(f32)
    tr_lp = logsig(logit_tr).astype(f32)
    ks = rng.integers(3, 60, n)
    ent = np.array([entropy_of(float(np.exp(t)), int(k)) for t, k in zip(tr_lp, ks)], dtype=f32)
    return ids, inf_lp, tr_lp, ent


def make_sample(env, prompt, n_completion, stop, turns=1):
    """A TrainingSample-like dict: one branch as a flat token sequence (prompt/context mask False)."""
    token_ids, mask, inf_lp, tr_lp, ent = list(prompt), [False] * len(prompt), [], [], []
    ctx_lp = lambda n: (-rng.exponential(2.5, n) - 0.02).astype(f32)  # trainer logprobs of context tokens
    ctx_ent = lambda n: rng.uniform(0.8, 6.0, n).astype(f32)
    inf_lp += [f32(0.0)] * len(prompt)  # Branch.logprobs: 0.0 on every non-sampled token
    tr_lp += ctx_lp(len(prompt)).tolist()
    ent += ctx_ent(len(prompt)).tolist()
    sizes = [n_completion] if turns == 1 else [n_completion // 2, n_completion - n_completion // 2]
    for t, n in enumerate(sizes):
        if t > 0:  # environment reply between the two sampled turns: context tokens again
            reply = [IM_START, USER, NL] + rng.integers(100, 100000, 5).tolist() + [IM_END, NL, IM_START, ASSISTANT, NL]
            token_ids += reply
            mask += [False] * len(reply)
            inf_lp += [f32(0.0)] * len(reply)
            tr_lp += ctx_lp(len(reply)).tolist()
            ent += ctx_ent(len(reply)).tolist()
        ids, il, tl, en = sampled_span(n, stop or t < len(sizes) - 1)
        token_ids += ids
        mask += [True] * n
        inf_lp += il.tolist()
        tr_lp += tl.tolist()
        ent += en.tolist()
    return {
        "env_name": env,
        "token_ids": token_ids,
        "loss_mask": mask,
        "inference_logprobs": np.array(inf_lp, dtype=f32),
        "trainer_logprobs": np.array(tr_lp, dtype=f32),
        "entropy": np.array(ent, dtype=f32),
    }


def perturb(sample, direction):
    """Move one sampled token's trainer probability by >0.2 so the DPPO mask fires."""
    idx = [i for i, m in enumerate(sample["loss_mask"]) if m]
    i = idx[len(idx) // 3]
    p_inf = 0.55
    p_tr = 0.85 if direction > 0 else 0.25
    sample["inference_logprobs"][i] = f32(math.log(p_inf))
    sample["trainer_logprobs"][i] = f32(math.log(p_tr))
    sample["entropy"][i] = f32(entropy_of(p_tr, 7))


def make_step(step, legacy=False):
    """Three prompts x GROUP_SIZE rollouts; GRPO advantages = reward - group mean (float32)."""
    groups = [
        ("gsm8k", [1, 0, 1, 0]),
        ("reverse-text", [0.82, 0.41, 0.67, 0.95]),
        ("gsm8k", [1, 1, 1, 1]) if step % 2 == 1 else ("wordle", [0.0, 1.0, 0.0, 0.0]),
    ]
    samples = []
    for env, rewards in groups:
        prompt = make_prompt(int(rng.integers(3, 9)))
        r = np.array(rewards, dtype=f32)
        adv = (r - r.mean()).astype(f32)  # GRPOAlgorithm.score_group (length_penalty None)
        for j in range(GROUP_SIZE):
            total = int(rng.integers(20, 61))
            n_completion = max(total - len(prompt) - (13 if env == "wordle" else 0), 6)
            stop = bool(rng.random() < 0.8)
            s = make_sample(env, prompt, n_completion, stop, turns=2 if env == "wordle" else 1)
            m = np.array(s["loss_mask"])
            if legacy:
                s["advantages"] = np.full(len(m), adv[j], dtype=f32)  # old prepare_sample broadcast
                s["rewards"] = np.full(len(m), r[j], dtype=f32)
            else:
                s["advantages"] = np.where(m, adv[j], f32(0)).astype(f32)  # spread onto sampled tokens
            s["dummy"] = False
            samples.append(s)
    # A few DPPO-masked tokens: high on a positive-advantage sample, low on a negative one,
    # and "low" on a zero-advantage sample (is_masked true, is_masked_high/low both false).
    pos = [s for s in samples if s["advantages"].max() > 0]
    neg = [s for s in samples if s["advantages"].min() < 0]
    zero = [s for s in samples if not s["advantages"].any()]
    perturb(pos[0], +1)
    perturb(neg[-1], -1)
    if zero:
        perturb(zero[1], -1)
    # Non-finite values (the exporter writes them as null):
    if step == 2:  # a sampled token whose vLLM logprob came back as -inf
        s = pos[1]
        i = [k for k, m in enumerate(s["loss_mask"]) if m][4]
        s["inference_logprobs"][i] = f32(-np.inf)
    if step == 3:  # trainer logprob -inf and a NaN entropy on one sampled token
        s = neg[0]
        i = [k for k, m in enumerate(s["loss_mask"]) if m][2]
        s["trainer_logprobs"][i] = f32(-np.inf)
        s["entropy"][i] = f32(np.nan)
    return samples


def micro_batch_records(step, rank, micro_step, micro_batch, counter, legacy=False):
    """TokenExporter.export for one packed micro batch; returns the JSON lines."""
    cols = {k: [] for k in ["token_ids", "position_ids", "loss_mask", "advantages", "inference_logprobs", "trainer_logprobs", "entropy", "env_names"]}
    if legacy:
        cols["rewards"] = []
    seq_lengths = []
    for s in micro_batch:
        n = len(s["token_ids"])
        seq_lengths.append(n)
        cols["token_ids"] += s["token_ids"]
        cols["position_ids"] += list(range(n))  # prepare_sample: position_ids restart at 0 per sample
        cols["loss_mask"] += s["loss_mask"]
        cols["advantages"] += s["advantages"].tolist() if not s["dummy"] else [0.0] * n
        cols["inference_logprobs"] += s["inference_logprobs"].tolist()
        tl, en = s["trainer_logprobs"].copy(), s["entropy"].copy()
        # shift_tensor_right on the packed row: position 0 of the micro batch gets the pad values;
        # the first token of every later sample is "predicted" from the previous sample's last position.
        if not cols["trainer_logprobs"]:
            tl[0], en[0] = f32(POS0_LOGPROB), f32(POS0_ENTROPY)
        else:
            tl[0], en[0] = f32(-rng.uniform(7, 15)), f32(rng.uniform(1.5, 7))
        cols["trainer_logprobs"] += tl.tolist()
        cols["entropy"] += en.tolist()
        cols["env_names"] += [s["env_name"]] * n
        if legacy:
            cols["rewards"] += s["rewards"].tolist()
    tl = np.array(cols["trainer_logprobs"], dtype=f32)
    il = np.array(cols["inference_logprobs"], dtype=f32)
    lm = np.array(cols["loss_mask"], dtype=bool)
    adv = np.array(cols["advantages"], dtype=f32)
    ex = export_tensors(tl, il, lm, adv)
    n_all = len(tl)
    columns = {
        "token_ids": [int(v) for v in cols["token_ids"]],
        "position_ids": cols["position_ids"],
        "loss_mask": bools(lm),
        "advantages": floats(adv),
    }
    if legacy:
        columns["rewards"] = floats(cols["rewards"])
    columns.update({
        "inference_logprobs": floats(il),
        "trainer_logprobs": floats(tl),
        "entropy": floats(cols["entropy"]),
        "mismatch_kl": floats(ex["mismatch_kl"]),
        "log_importance_ratio": floats(ex["log_importance_ratio"]),
        "importance_ratio": floats(ex["importance_ratio"]),
        "prob_delta": floats(ex["prob_delta"]),
        "is_masked": bools(ex["is_masked"]),
        "is_masked_high": bools(ex["is_masked_high"]),
        "is_masked_low": bools(ex["is_masked_low"]),
    })
    if not legacy:  # rl/ce/ref_kl weight streams absent in a plain GRPO run -> [None] * seq_len
        for name in ("rl_weights", "ce_weights", "ref_kl_weights"):
            columns[name] = [None] * n_all
    assert len({len(v) for v in columns.values()}) == 1
    lines = []
    start = 0
    for micro_sequence_idx, length in enumerate(seq_lengths):
        end = start + length  # _trim_padding: no pad tokens here (pad_to_multiple_of = 1)
        if end > start and any(columns["loss_mask"][start:end]):
            head = {
                "schema_version": SCHEMA_VERSION,
                "step": step,
            }
            if legacy:
                head["export_step"] = step
            head.update({
                "rank": rank,
                "micro_step": micro_step,
                "micro_sequence_idx": micro_sequence_idx,
                "export_sequence_idx": counter[0],
            })
            if legacy:
                head["run_id"] = None
            head["env_name"] = next((e for e in cols["env_names"][start:end] if e), None)
            if legacy:
                head["training_mode"] = "rl"
            record = {**head, **{k: list(v[start:end]) for k, v in columns.items()}}
            lines.append(json.dumps(record, separators=(",", ":"), allow_nan=False) + "\n")
            counter[0] += 1
        start = end
    return lines


def write_run(root, steps, live_step=None, legacy=False):
    if os.path.isdir(root):
        shutil.rmtree(root)
    for step in steps:
        per_rank = pack(make_step(step, legacy))
        step_dir = os.path.join(root, "token_exports", f"step_{step}")
        os.makedirs(step_dir, exist_ok=True)
        for rank, micro_batches in enumerate(per_rank):
            counter = [0]
            lines = []
            for micro_step, mb in enumerate(micro_batches):
                lines += micro_batch_records(step, rank, micro_step, mb, counter, legacy)
            if step == live_step:
                # A live run read mid-step: rank 0 has flushed all but its last micro step; rank 1 is
                # in the middle of writing a record (the exporter writes one line per write() call,
                # but a reader can catch a partially flushed line).
                if rank == 0:
                    lines = lines[:-1]
                else:
                    lines = lines[:-1] + [lines[-1][: len(lines[-1]) * 2 // 5]]
            if legacy:  # keep the legacy fixture small: rank 0's first three records
                if rank > 0:
                    continue
                lines = lines[:3]
            if not lines:
                continue
            with open(os.path.join(step_dir, f"rank_{rank}.jsonl"), "w", encoding="utf-8") as f:
                f.write("".join(lines))
        if step != live_step:
            open(os.path.join(step_dir, "STABLE"), "w").close()  # Path.touch(): empty file


if __name__ == "__main__":
    write_run(os.path.join(HERE, "prime_rl"), steps=[1, 2, 3, 4], live_step=4)
    write_run(os.path.join(HERE, "prime_rl_legacy"), steps=[1], legacy=True)
    for root in ("prime_rl", "prime_rl_legacy"):
        for d, _, files in sorted(os.walk(os.path.join(HERE, root))):
            for name in sorted(files):
                p = os.path.join(d, name)
                print(f"{os.path.relpath(p, HERE)}\t{os.path.getsize(p)}")
