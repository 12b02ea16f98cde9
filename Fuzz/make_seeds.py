#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into corpus/<target>/ (small, real files).

.npy files are written by numpy itself (np.save / numpy.lib.format), .safetensors by the
safetensors package (plus one bf16 file laid out by the format's spec), and the text formats
from the schemas our readers document. Run once; the committed corpora are these seeds after
fuzzing and `-merge=1` minimisation.
"""
import json, os, struct, sys
import numpy as np

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

def put(target, name, data):
    d = os.path.join(root, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def npy_bytes(array, version=None):
    import io
    from numpy.lib import format as fmt
    b = io.BytesIO()
    if version is None:
        np.save(b, array)
    else:
        fmt.write_array(b, array, version=version)
    return b.getvalue()

rng = np.random.default_rng(0)
logits = rng.standard_normal((3, 5))
arrays = {
    "f32": logits.astype("<f4"), "f64": logits, "f16": logits.astype("<f2"),
    "i64": np.array([[1, 2, 3], [4, 0, 2]], "<i8"), "i32": np.array([7, 1, 0], "<i4"),
    "u8": np.array([1, 0, 1, 1], "u1"), "bool": np.array([[True, False], [False, True]]),
    "i16-bf16": (logits.astype("<f4").view("<u4") >> 16).astype("<u2").view("<i2"),
    "fortran": np.asfortranarray(logits.astype("<f4")), "3d": rng.standard_normal((2, 2, 3)).astype("<f4"),
    "scalar": np.array(1.5, "<f4"), "empty": np.zeros((0, 4), "<f4"),
}
for name, a in arrays.items():
    put("fuzz-npy", name + ".npy", npy_bytes(a))
put("fuzz-npy", "v2.npy", npy_bytes(logits.astype("<f4"), version=(2, 0)))
put("fuzz-npy", "v3.npy", npy_bytes(logits.astype("<f4"), version=(3, 0)))

from safetensors.numpy import save
put("fuzz-safetensors", "logits-tokens.safetensors",
    save({"logits": logits.astype("<f4"), "tokens": np.array([1, 4, 0], "<i8")}))
put("fuzz-safetensors", "f16-meta.safetensors",
    save({"logits": logits.astype("<f2")}, metadata={"step": "10", "model": "tiny"}))
put("fuzz-safetensors", "batch.safetensors", save({
    "response_mask": np.array([[1, 1, 0]], "<i8"), "old_log_prob": np.array([[-1.0, -0.5, 0.0]]),
    "log_prob": np.array([[-0.9, -0.6, 0.0]]), "advantages": np.array([[1.0, 1.0, 0.0]])}))
put("fuzz-safetensors", "empty.safetensors", save({}))
bf16 = (logits.astype("<f4").view("<u4") >> 16).astype("<u2").tobytes()
header = json.dumps({"logits": {"dtype": "BF16", "shape": [3, 5], "data_offsets": [0, len(bf16)]}}).encode()
header += b" " * (-len(header) % 8)
put("fuzz-safetensors", "bf16.safetensors", struct.pack("<Q", len(header)) + header + bf16)

put("fuzz-nfg", "payoffs.nfg", 'NFG 1 R "Prisoner\'s dilemma" { "Alice" "Bob" } { 2 2 }\n3 3 5 0 0 5 1 1\n')
put("fuzz-nfg", "outcomes.nfg", 'NFG 1 R "Battle" { "P1" "P2" }\n{ { "Opera" "Football" } { "Opera" "Football" } }\n""\n'
    '{\n{ "both opera" 2, 1 }\n{ "both football" 1, 2 }\n{ "apart" 0, 1/2 }\n}\n1 3 3 2\n')
put("fuzz-nfg", "rps.nfg", 'NFG 1 R "Rock, paper, scissors" { "Row" "Column" }\n\n{ { "R" "P" "S" }\n{ "R" "P" "S" }\n}\n'
    '"A zero-sum game with a comment."\n\n{\n{ "" 0, 0 }\n{ "" 1, -1 }\n{ "" -1, 1 }\n{ "" -1, 1 }\n{ "" 0, 0 }\n'
    '{ "" 1, -1 }\n{ "" 1, -1 }\n{ "" -1, 1 }\n{ "" 0, 0 }\n}\n1 2 3 4 5 6 7 8 9\n')
put("fuzz-nfg", "decimals.nfg", 'NFG 1 R "3x2 decimals" { "1" "2" } { 3 2 }\n1.25 -2 0.5 3e1 -7/3 4 2 2 1 0 0 1\n')

def game(name, a, b, labels=None):
    g = {"name": name, "payoffs": {"player1": a, "player2": b}}
    if labels: g["strategy_labels"] = {"player1": labels[0], "player2": labels[1]}
    return json.dumps(g)
put("fuzz-json-game", "pd.json", game("Prisoner's dilemma", [[3, 0], [5, 1]], [[3, 5], [0, 1]], [["C", "D"], ["C", "D"]]))
put("fuzz-json-game", "mp.json", game("Matching pennies", [[1, -1], [-1, 1]], [[-1, 1], [1, -1]]))
put("fuzz-json-game", "random.json", game("random 2x3", [[0.25, -1.5e-3, 2], [1, 0, -0.5]], [[1, 1, 1], [0.5, 2, 3]]))

fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "PolicyLossesTests", "Fixtures", "verl")
def small_case(path, keys):
    case = json.load(open(os.path.join(fixtures, path)))["cases"][0]["inputs"]
    out = {}
    for k in keys:
        v = case[k]
        out[k] = [row[:4] for row in v[:2]]
        if k == "logits": out[k] = [[tok[:5] for tok in row[:4]] for row in v[:2]]
    return out
put("fuzz-loss-batch", "ppo.json", json.dumps(small_case("ppo_vanilla.json", ["old_log_prob", "log_prob", "advantages", "response_mask"])))
logit_case = small_case("actor_loss_logits.json", ["logits", "old_log_prob", "advantages", "response_mask"])
logit_case["labels"] = [[0, 1, 2, 3], [4, 0, 1, 2]]
put("fuzz-loss-batch", "logits.json", json.dumps({"inputs": logit_case}))
put("fuzz-loss-batch", "diagnostics.json", json.dumps({
    "response_mask": [[1, 1, 0]], "old_log_prob": [[-1.0, -0.5, 0.0]], "log_prob": [[-0.9, -0.6, 0.0]],
    "advantages": [[1.0, 1.0, 0.0]], "entropy": [[1.2, 0.3, 0.0]], "sum_pi_squared": [[0.4, 0.8, 1.0]],
    "ref_log_prob": [[-1.1, -0.4, 0.0]]}))

examples = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "sweep.toml")
put("fuzz-toml", "sweep.toml", open(examples, "rb").read())
put("fuzz-toml", "single.toml", "[run]\narms = 4\nruns = 8\nsteps = 5\nquiet = true\n")
put("fuzz-toml", "loss.toml", '# a sweep of the KL-Cov ratio\n[run]\nenv = "gaussian-bandit"\narms = 10\nruns = 64\nsteps = 100\n\n'
    '[loss]\nname = "kl_cov"\nkl_cov_ratio = 0.2\n\n[sweep]\nlr = [0.01, 0.1, 1]\nseed = [1, 2]\n"loss.kl_cov_ratio" = [0.1, 0.2]\n')
put("fuzz-toml", "syntax.toml", 'title = "[=] and [}"\nliteral = \'[{\'\nmulti = """\n[.]\n"""\n[run]\narms = [\n  1, # one\n  2,\n]\n'
    'table = { a = [1, 2], b = { c = "}" } }\n[[series]]\n"quoted key" = 1\n')
print("seeds written under", root)
