#!/usr/bin/env python3
"""Writes verl `trainer.rollout_data_dir` dumps under verl/rollout/ and verl/rollout_dapo/.

Follows the writer field for field:
  volcengine/verl @ b178a3cd56f58b2d502255daba591e92833930a7 (2026-01-29)
  verl/trainer/ppo/ray_trainer.py  RayPPOTrainer._dump_generations, _log_rollout_data
                                   (file {global_steps}.jsonl, global_steps starts at 1; keys input,
                                   output, gts, score, step, then every reward_extra_infos_dict key
                                   whose list has one value per sample; json.dumps(ensure_ascii=False);
                                   lines joined by "\\n" plus a final "\\n"; file opened "w")
  verl/utils/reward_score/gsm8k.py compute_score (strict "#### N" match, 1.0 / 0)
  verl/experimental/reward_loop/reward_manager/naive.py  (float score -> reward_extra_info["acc"] = score)
  verl/utils/reward_score/math_dapo.py compute_score -> {"score": +-1.0, "acc": bool, "pred": str}

verl/rollout/{1,2,3}.jsonl: GSM8K run, default reward loop, n = 4 rollouts per prompt, 4 prompts per
step; lines are in the order left by _balance_batch (samples of one prompt are not adjacent).
verl/rollout_dapo/1.jsonl: a DAPO-math step with the legacy reward manager (extras score/acc/pred;
the extra "score" key replaces the base one in place, same value).

Simulated texts; deterministic (numpy.random.default_rng(20260129)). Run: python3 make_verl_rollouts.py
"""

import json
import os
import re
import shutil

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20260129)
SYSTEM = "system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n"
GSM8K_SUFFIX = " Let's think step by step and output the final answer after \"####\"."

# (question, ground truth, candidate outputs: correct ones, wrong ones, truncated ones)
GSM8K = [
    (
        "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
        "How many clips did Natalia sell altogether in April and May?",
        "72",
        [
            "In May she sold 48 / 2 = 24 clips.\nAltogether she sold 48 + 24 = 72 clips.\n#### 72",
            "Natalia sold 48/2 = 24 clips in May.\nNatalia sold 48+24 = 72 clips altogether in April and May.\n#### 72",
        ],
        ["In May she sold 48 * 2 = 96 clips.\nAltogether she sold 48 + 96 = 144 clips.\n#### 144"],
        ["Let me work through this. In April Natalia sold 48 clips. In May she sold half as many, so"],
    ),
    (
        "Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of babysitting. How much did she earn?",
        "10",
        ["Weng earns 12/60 = $0.2 per minute.\nWorking 50 minutes, she earned 0.2 x 50 = $10.\n#### 10"],
        [
            "She earns 12 * 50 = 600 dollars.\n#### 600",
            "50 minutes is 5/6 of an hour, so she earned 12 * 5/6 = $10.\nThe answer is 10.",
        ],
        ["Weng's hourly rate is $12. There are 60 minutes in an hour, so per minute she earns 12 / 60 ="],
    ),
    (
        "Betty is saving money for a new wallet which costs $100. Betty has only half of the money she needs. "
        "Her parents decided to give her $15 for that purpose, and her grandparents twice as much as her parents. "
        "How much more money does Betty need to buy the wallet?",
        "5",
        ["Betty has 100 / 2 = $50.\nHer grandparents give 15 * 2 = $30.\nShe needs 100 - 50 - 30 - 15 = $5 more.\n#### 5"],
        ["Betty has $50 and gets $15 + $30 = $45.\nShe needs 100 - 45 = $55 more.\n#### 55"],
        ["Betty needs $100 and has half of it, which is $50. Her parents give $15 and her grandparents give"],
    ),
    (
        "James writes a 3-page letter to 2 different friends twice a week. How many pages does he write a year?",
        "624",
        ["He writes 3 * 2 = 6 pages each time.\nSo 6 * 2 = 12 pages a week.\nThat is 12 * 52 = 624 pages a year.\n#### 624"],
        [
            "He writes 3 * 2 * 2 = 12 pages a week, so 12 * 12 = 144 pages a year.\n#### 144",
            "He writes 3 * 2 = 6 pages a week, so 6 * 52 = 312 pages a year.\n#### 312",
        ],
        ["Each letter is 3 pages and he sends it to 2 friends, so each time he writes 3 * 2 = 6 pages. He does"],
    ),
    (
        "Albert is wondering how much pizza he can eat in one day. He buys 2 large pizzas and 2 small pizzas. "
        "A large pizza has 16 slices and a small pizza has 8 slices. If he eats it all, how many pieces does he eat that day?",
        "48",
        ["The large pizzas have 2 * 16 = 32 slices.\nThe small pizzas have 2 * 8 = 16 slices.\nHe eats 32 + 16 = 48 pieces.\n#### 48"],
        ["He eats 16 + 8 = 24 pieces.\n#### 24"],
        ["Two large pizzas have 2 * 16 = 32 slices, and two small pizzas have"],
    ),
]


def gsm8k_score(solution_str, ground_truth):
    """verl.utils.reward_score.gsm8k.compute_score, method='strict'."""
    s = solution_str[-300:]
    sols = re.findall("#### (\\-?[0-9\\.\\,]+)", s)
    if not sols:
        return 0
    return 1.0 if sols[-1].replace(",", "").replace("$", "") == ground_truth else 0.0


def balance_order(lengths, k=2):
    """Stand-in for _balance_batch: split into k equal-size partitions of similar total length, then
    concatenate the partitions (verl reorders the batch by its seqlen-balanced partition)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    parts, loads = [[] for _ in range(k)], [0] * k
    cap = len(lengths) // k
    for i in order:
        j = min((j for j in range(k) if len(parts[j]) < cap), key=lambda j: loads[j])
        parts[j].append(i)
        loads[j] += lengths[i]
    return [i for p in parts for i in sorted(p)]


def dump(dump_path, global_steps, inputs, outputs, gts, scores, reward_extra_infos_dict):
    """RayPPOTrainer._dump_generations, verbatim apart from self."""
    os.makedirs(dump_path, exist_ok=True)
    filename = os.path.join(dump_path, f"{global_steps}.jsonl")
    n = len(inputs)
    base_data = {"input": inputs, "output": outputs, "gts": gts, "score": scores, "step": [global_steps] * n}
    for k, v in reward_extra_infos_dict.items():
        if len(v) == n:
            base_data[k] = v
    lines = []
    for i in range(n):
        entry = {k: v[i] for k, v in base_data.items()}
        lines.append(json.dumps(entry, ensure_ascii=False))
    with open(filename, "w") as f:
        f.write("\n".join(lines) + "\n")


def gsm8k_run():
    out = os.path.join(HERE, "verl", "rollout")
    n = 4
    for step in (1, 2, 3):
        picks = [(step - 1 + i) % len(GSM8K) for i in range(4)]
        p_correct = 0.3 + 0.2 * step
        inputs, outputs, gts = [], [], []
        for q in picks:  # batch.repeat(n, interleave=True): the n copies of a prompt are adjacent here
            question, gt, good, bad, cut = GSM8K[q]
            for _ in range(n):
                u = rng.random()
                pool = good if u < p_correct else (cut if u > 0.92 else bad)
                inputs.append(f"{SYSTEM}user\n{question}{GSM8K_SUFFIX}\nassistant\n")
                outputs.append(pool[int(rng.integers(len(pool)))])
                gts.append(gt)
        order = balance_order([len(i) + len(o) for i, o in zip(inputs, outputs)])
        inputs = [inputs[i] for i in order]
        outputs = [outputs[i] for i in order]
        gts = [gts[i] for i in order]
        raw = [gsm8k_score(o, g) for o, g in zip(outputs, gts)]
        # rm_scores carries the score at the last response token; token_level_scores.sum(-1).tolist()
        scores = [float(np.float32(s)) for s in raw]
        # reward loop: reward_extra_info["acc"] = score, stacked with np.array -> float64 values
        extras = {"acc": np.array(raw, dtype=np.float64)}
        dump(out, step, inputs, outputs, gts, scores, extras)


def dapo_run():
    out = os.path.join(HERE, "verl", "rollout_dapo")
    prefix = (
        "Solve the following math problem step by step. The last line of your response should be of the form "
        "Answer: $Answer (without quotes) where $Answer is the answer to the problem.\n\n"
    )
    suffix = '\n\nRemember to put your answer on its own line after "Answer:".'
    problems = [
        ("What is the remainder when $2^{100}$ is divided by 7?", "2",
         ["Since $2^3 = 8 \\equiv 1 \\pmod 7$, $2^{100} = 2 \\cdot (2^3)^{33} \\equiv 2$.\nAnswer: 2",
          "Powers of 2 mod 7 cycle 2, 4, 1, so $2^{100} \\equiv 4$.\nAnswer: 4",
          "$2^{100} \\equiv 2 \\pmod 7$ because 100 = 3*33 + 1."]),
        ("How many positive divisors does 360 have?", "24",
         ["$360 = 2^3 \\cdot 3^2 \\cdot 5$, so it has $4 \\cdot 3 \\cdot 2 = 24$ divisors.\nAnswer: 24",
          "$360 = 2^3 \\cdot 3^2 \\cdot 5$, so it has $3 \\cdot 2 \\cdot 1 = 6$ divisors.\nAnswer: 6"]),
    ]
    inputs, outputs, gts, rewards, accs, preds = [], [], [], [], [], []
    for problem, gt, cands in problems:
        for j in range(4):
            o = cands[int(rng.integers(len(cands)))]
            m = re.findall(r"(?i)Answer\s*:\s*([^\n]+)", o)
            pred = m[-1].strip() if m else "[INVALID]"
            correct = pred == gt
            inputs.append(f"user\n{prefix}{problem}{suffix}\nassistant\n")
            outputs.append(o)
            gts.append(gt)
            rewards.append(1.0 if correct else -1.0)
            accs.append(correct)
            preds.append(pred)
    # legacy reward manager: reward_extra_info is a defaultdict(list) of plain Python values
    extras = {"score": rewards, "acc": accs, "pred": preds}
    dump(out, 1, inputs, outputs, gts, [float(r) for r in rewards], extras)


if __name__ == "__main__":
    if os.path.isdir(os.path.join(HERE, "verl", "rollout")):
        shutil.rmtree(os.path.join(HERE, "verl", "rollout"))
    if os.path.isdir(os.path.join(HERE, "verl", "rollout_dapo")):
        shutil.rmtree(os.path.join(HERE, "verl", "rollout_dapo"))
    gsm8k_run()
    dapo_run()
    for sub in ("rollout", "rollout_dapo"):
        d = os.path.join(HERE, "verl", sub)
        for name in sorted(os.listdir(d), key=lambda s: int(s.split(".")[0])):
            print(f"verl/{sub}/{name}\t{os.path.getsize(os.path.join(d, name))}")
