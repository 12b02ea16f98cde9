#!/usr/bin/env python3
"""A REAL (not simulated) TRL GRPOTrainer run on CPU, logged to TensorBoard, as a fixture for
`logitdyn run-log`.

Everything is local: a WordLevel tokenizer built with `tokenizers` from a tiny vocabulary, a randomly
initialised 2-layer Qwen2 causal LM (hidden 64, ~0.1M parameters), and an in-memory dataset of
prompts "add A B =" with two reward functions:
  - accuracy_reward: 1.0 if the completion contains the token str(A+B), else 0.0
  - brevity_reward:  1.0 - len(completion tokens)/max_completion_length (shorter is better)
No network access is needed once the packages are installed.

GRPOConfig: logging_steps=1, num_generations=4, per_device_train_batch_size=4 (one prompt x 4
generations per step), max_completion_length=8, max_steps=25, beta=0.04 (so train/kl is logged),
learning_rate=1e-2 (large on purpose, so entropy visibly collapses in 25 steps), use_cpu=True,
seed=1234, save_strategy="no", report_to=["tensorboard"].

Versions used (Python 3.11.7, 2 CPU cores):
  torch 2.13.0+cpu (/opt/wheels wheel), transformers 5.25.0, trl 1.16.0, accelerate 1.16.0,
  datasets 5.2.0, tokenizers 0.23.3, tensorboard 2.21.0, numpy 2.4.6

How to run:
  python3 -m venv /tmp/trlvenv
  /tmp/trlvenv/bin/pip install /opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl
  /tmp/trlvenv/bin/pip install transformers==5.25.0 trl==1.16.0 datasets==5.2.0 tokenizers==0.23.3 \
      tensorboard==2.21.0 accelerate==1.16.0
  /tmp/trlvenv/bin/python make_trl_run.py

Writes the run under /tmp/trl_grpo_run (model dir, output_dir), then copies ONLY the TensorBoard event
file(s) into ./tensorboard/ next to this script (the old ones there are removed first) and prints
the tags read back with EventAccumulator. On the 2-core dev VM the whole script took ~5 s wall
(trainer.train() ~0.6 s for 25 steps; the rest is imports and model setup).

The event file name carries the wall time, host name and pid, and the scalars include wall-clock
metrics (train_runtime, step_time, ...), so reruns are NOT byte-identical. The other scalar values
are seeded (seed=1234): two reruns on the same machine gave identical values, but CPU kernels may
differ across machines and versions.
"""

import glob
import os
import shutil
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("OMP_NUM_THREADS", "1")  # keep CPU use modest
os.environ.pop("TENSORBOARD_LOGGING_DIR", None)

import torch  # noqa: E402

torch.set_num_threads(1)

from datasets import Dataset  # noqa: E402
from tokenizers import Tokenizer, models, pre_tokenizers  # noqa: E402
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM, set_seed  # noqa: E402
from trl import GRPOConfig, GRPOTrainer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = "/tmp/trl_grpo_run"
MODEL_DIR = os.path.join(WORK, "tiny-qwen2")
OUT_DIR = os.path.join(WORK, "out")
SEED = 1234
MAX_COMPLETION = 8
MAX_STEPS = 25


def build_tokenizer():
    specials = ["<pad>", "<eos>", "<unk>"]
    words = ["add", "="] + [str(i) for i in range(19)]
    vocab = {tok: i for i, tok in enumerate(specials + words)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        eos_token="<eos>",
        unk_token="<unk>",
        padding_side="left",
        model_max_length=64,
    )


def build_model(tokenizer):
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=64,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model


def build_dataset():
    rows = []
    for a in range(10):
        for b in range(10):
            rows.append({"prompt": f"add {a} {b} =", "answer": str(a + b)})
    return Dataset.from_list(rows)


def accuracy_reward(completions, answer, **kwargs):
    return [1.0 if ans in c.split() else 0.0 for c, ans in zip(completions, answer)]


def brevity_reward(completions, completion_ids, **kwargs):
    return [1.0 - len(ids) / MAX_COMPLETION for ids in completion_ids]


def read_back(path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(path, size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    tags = acc.Tags()
    print(f"== {os.path.basename(path)} ({os.path.getsize(path)} bytes)")
    for kind in ("scalars", "tensors"):
        for t in tags.get(kind, []):
            ev = acc.Scalars(t) if kind == "scalars" else acc.Tensors(t)
            steps = [e.step for e in ev]
            print(f"  {kind:8s} {t:55s} n={len(ev):3d} steps={steps[0]}..{steps[-1]}")
    for t in ("train/entropy", "train/reward", "train/kl"):
        if t in tags.get("scalars", []):
            ev = acc.Scalars(t)
            print(f"  {t}: first (step {ev[0].step}) = {ev[0].value!r}, last (step {ev[-1].step}) = {ev[-1].value!r}")


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    set_seed(SEED)
    tokenizer = build_tokenizer()
    model = build_model(tokenizer)
    # GRPOTrainer builds the beta>0 reference model from the policy's name_or_path, so save it first.
    model.save_pretrained(MODEL_DIR)
    tokenizer.save_pretrained(MODEL_DIR)
    print(f"model parameters: {sum(p.numel() for p in model.parameters())}")

    args = GRPOConfig(
        output_dir=OUT_DIR,
        report_to=["tensorboard"],
        logging_steps=1,
        num_generations=4,
        per_device_train_batch_size=4,
        max_completion_length=MAX_COMPLETION,
        max_steps=MAX_STEPS,
        beta=0.04,
        learning_rate=1e-2,
        use_cpu=True,
        bf16=False,
        fp16=False,
        seed=SEED,
        data_seed=SEED,
        save_strategy="no",
        temperature=1.0,
        gradient_checkpointing=False,
        dataloader_num_workers=0,
        disable_tqdm=True,
    )
    trainer = GRPOTrainer(
        model=MODEL_DIR,
        reward_funcs=[accuracy_reward, brevity_reward],
        args=args,
        train_dataset=build_dataset(),
        processing_class=tokenizer,
    )
    t0 = time.time()
    trainer.train()
    wall = time.time() - t0
    print(f"train() wall time: {wall:.1f} s")
    for cb in trainer.callback_handler.callbacks:
        if hasattr(cb, "tb_writer") and cb.tb_writer is not None:
            cb.tb_writer.flush()
            cb.tb_writer.close()

    events = sorted(glob.glob(os.path.join(OUT_DIR, "**", "events.out.tfevents.*"), recursive=True))
    print("event files written:", events)
    dest = os.path.join(HERE, "tensorboard")
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    for e in events:
        shutil.copy2(e, os.path.join(dest, os.path.basename(e)))
    for e in sorted(glob.glob(os.path.join(dest, "events.out.tfevents.*"))):
        read_back(e)


if __name__ == "__main__":
    sys.exit(main())
