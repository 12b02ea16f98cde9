import json

import numpy as np
import pytest

import logitdyn
from conftest import REPO

FIXTURES = REPO / "Tests" / "PolicyLossesTests" / "Fixtures" / "verl"
LOSS_OF = {"compute_policy_loss_vanilla": "vanilla", "compute_policy_loss_clip_cov": "clip_cov",
           "compute_policy_loss_kl_cov": "kl_cov"}


def numbers(x):
    """Fixture values: nested lists with 'nan', 'inf', '-inf' strings, as float64."""
    if isinstance(x, list):
        return np.array([numbers(v) for v in x], dtype=np.float64)
    return float(x)


def cases(name):
    document = json.loads((FIXTURES / f"{name}.json").read_text())
    return document["cases"]


@pytest.mark.parametrize("fixture", ["ppo_vanilla", "clip_cov", "kl_cov"])
def test_policy_loss_equals_the_verl_fixtures(fixture):
    checked = 0
    for case in cases(fixture):
        loss = LOSS_OF[case["function"].rsplit(".", 1)[1]]
        params = dict(case["params"])
        params.update(params.pop("global_batch_info", None) or {})
        inputs = {k: numbers(v) for k, v in case["inputs"].items()}
        out = logitdyn.policy_loss(loss, inputs["log_prob"], inputs["old_log_prob"], inputs["advantages"],
                                   inputs["response_mask"], **params)
        want = case["expected"]
        np.testing.assert_allclose(out["loss"], float(want["loss"]), rtol=1e-9, atol=1e-12, err_msg=case["name"])
        np.testing.assert_allclose(out["grad_log_prob"], numbers(want["grad_log_prob"]), rtol=1e-9, atol=1e-12,
                                   err_msg=case["name"])
        for key in ("pg_clipfrac", "pg_clipfrac_lower", "ppo_kl"):
            if key in want:
                np.testing.assert_allclose(out[key], float(want[key]), rtol=1e-6, atol=1e-9, err_msg=f"{case['name']} {key}")
        if "selected_mask" in want:
            assert np.array_equal(out["selected_mask"], numbers(want["selected_mask"])), case["name"]
        for key in ("clip_num", "n_eligible", "n_valid", "k"):
            if key in want:
                assert out[key] == int(want[key]), (case["name"], key)
        if "randperm" in want:
            assert out["randperm"] == [int(v) for v in want["randperm"]], case["name"]
        checked += 1
    assert checked == len(cases(fixture)) > 5


def batch(rng, rows=6, cols=50):
    log_prob = np.log(rng.uniform(0.01, 1.0, size=(rows, cols)))
    advantages = np.repeat(rng.normal(size=(rows, 1)), cols, axis=1)
    mask = (rng.uniform(size=(rows, cols)) < 0.85).astype(np.float64)
    mask[:, 0] = 1
    return log_prob, advantages, mask


def numpy_covariance(log_prob, advantages, mask):
    valid = mask != 0
    l, a = log_prob[valid], advantages[valid]
    cov = np.full(log_prob.shape, np.nan)
    cov[valid] = (l - l.mean()) * (a - a.mean())
    return cov


def test_token_covariance_and_its_table(rng):
    log_prob, advantages, mask = batch(rng)
    got = logitdyn.token_covariance(log_prob, advantages, mask)
    want = numpy_covariance(log_prob, advantages, mask)
    np.testing.assert_allclose(got["cov"], want, rtol=1e-12, atol=1e-14)
    ranked = np.sort(want[mask != 0])[::-1]
    for row in got["top"]:
        k = max(1, int(np.ceil(row["fraction"] * ranked.size)))
        assert row["count"] == k
        assert row["mean"] == pytest.approx(ranked[:k].mean(), rel=1e-12, abs=1e-14)
    assert [r["fraction"] for r in got["top"]] == list(logitdyn.TOP_FRACTIONS)


def test_kl_cov_selects_the_top_covariances_per_micro_batch(rng):
    log_prob, advantages, mask = batch(rng, rows=8)
    ratio = 0.05
    sel, info = logitdyn.kl_cov_select(log_prob, advantages, mask, ratio=ratio, details=True)
    cov = numpy_covariance(log_prob, advantages, mask)
    n = int((mask != 0).sum())
    k = max(1, int(np.floor(ratio * n)))
    top = np.argsort(-np.where(mask != 0, cov, -np.inf), axis=None, kind="stable")[:k]
    want = np.zeros(mask.size, bool)
    want[top] = True
    assert np.array_equal(sel.reshape(-1), want)
    assert info["micro_batches"][0]["n_selected"] == k
    # Per micro-batch: the same rule on each quarter of the rows.
    sel4, info4 = logitdyn.kl_cov_select(log_prob, advantages, mask, ratio=ratio, micro_batches=4, details=True)
    assert [m["rows"] for m in info4["micro_batches"]] == [[0, 2], [2, 4], [4, 6], [6, 8]]
    for part in range(4):
        rows = slice(2 * part, 2 * part + 2)
        alone = logitdyn.kl_cov_select(log_prob[rows], advantages[rows], mask[rows], ratio=ratio)
        assert np.array_equal(sel4[rows], alone)
    assert not np.array_equal(sel4, sel)


def test_clip_cov_draws_among_the_eligible(rng):
    log_prob, advantages, mask = batch(rng, rows=8, cols=200)
    cov = numpy_covariance(log_prob, advantages, mask)
    lb, ub, ratio = 0.05, 5.0, 0.02
    sel, info = logitdyn.clip_cov_select(log_prob, advantages, mask, ratio=ratio, seed=3, clip_cov_lb=lb,
                                         clip_cov_ub=ub, details=True)
    eligible = (mask != 0) & (cov > lb) & (cov < ub)
    n = int((mask != 0).sum())
    m = info["micro_batches"][0]
    assert m["n_eligible"] == int(eligible.sum()) and m["clip_num"] == max(1, int(np.floor(ratio * n)))
    assert int(sel.sum()) == min(m["clip_num"], m["n_eligible"])
    assert not (sel & ~eligible).any()
    again = logitdyn.clip_cov_select(log_prob, advantages, mask, ratio=ratio, seed=3, clip_cov_lb=lb, clip_cov_ub=ub)
    other = logitdyn.clip_cov_select(log_prob, advantages, mask, ratio=ratio, seed=4, clip_cov_lb=lb, clip_cov_ub=ub)
    assert np.array_equal(sel, again) and not np.array_equal(sel, other)
    # The same selection as the loss's own.
    loss = logitdyn.policy_loss("clip_cov", log_prob, None, advantages, mask, clip_cov_ratio=ratio, seed=3,
                                clip_cov_lb=lb, clip_cov_ub=ub)
    assert np.array_equal(loss["selected_mask"] != 0, sel)
    # PPO-clipped tokens are not candidates.
    old = log_prob - 0.5 * np.sign(advantages)
    _, clipped = logitdyn.clip_cov_select(log_prob, advantages, mask, ratio=ratio, old_log_prob=old,
                                          clip_cov_lb=lb, details=True)
    assert clipped["micro_batches"][0]["n_eligible"] < m["n_eligible"]


def test_policy_loss_interventions_and_errors(rng):
    log_prob, advantages, mask = batch(rng)
    entropy = rng.uniform(0.0, 3.0, size=log_prob.shape)
    plain = logitdyn.policy_loss("vanilla", log_prob, None, advantages, mask)
    bonus = logitdyn.policy_loss("vanilla", log_prob, None, advantages, mask, entropy=entropy, entropy_coeff=0.01)
    valid = mask != 0
    assert bonus["loss"] == pytest.approx(plain["loss"] - 0.01 * entropy[valid].mean(), rel=1e-12)
    # On-policy, token-mean: ∂/∂log π of −mean(A·ρ) is −A/N on valid tokens.
    np.testing.assert_allclose(plain["grad_log_prob"], np.where(valid, -advantages / valid.sum(), 0.0), rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="unknown parameter 'clip_ration'"):
        logitdyn.policy_loss("vanilla", log_prob, None, advantages, mask, clip_ration=0.2)
    with pytest.raises(ValueError, match="unknown loss"):
        logitdyn.policy_loss("grpo-but-wrong", log_prob, None, advantages, mask)
    bad = log_prob.copy()
    bad[1, 0] = np.nan
    with pytest.raises(ValueError, match="log_prob at row 1, position 0 is nan"):
        logitdyn.policy_loss("vanilla", bad, None, advantages, mask)
    with pytest.raises(ValueError, match="shape"):
        logitdyn.policy_loss("vanilla", log_prob, None, advantages[:, :3], mask)
    with pytest.raises(ValueError, match="0 or 1"):
        logitdyn.policy_loss("vanilla", log_prob, None, advantages, mask * 2)
    with pytest.raises(ValueError, match="entropy"):
        logitdyn.policy_loss("vanilla", log_prob, None, advantages, mask, entropy_coeff=0.01)
    with pytest.raises(ValueError, match="micro_batches"):
        logitdyn.kl_cov_select(log_prob, advantages, mask, micro_batches=7)
    with pytest.raises(ValueError, match="torch_manual_seed"):
        logitdyn.clip_cov_select(log_prob, advantages, mask, micro_batches=2, torch_manual_seed=1)


def test_update_report_against_numpy():
    z = np.array([2.0, 1.0, 0.5, -1.0])
    out = logitdyn.update_report(z, action=2, advantage=1.5, lr=0.1, temperature=0.8)
    beta = 1 / 0.8
    p = np.exp(beta * z - np.log(np.exp(beta * z).sum()))
    dz = 0.1 * 1.5 * beta * (np.eye(4)[2] - p)
    np.testing.assert_allclose(out["delta_z"], dz, rtol=1e-13, atol=1e-16)
    assert out["update_norm"] == pytest.approx(np.linalg.norm(dz), rel=1e-13)
    assert out["update_norm_closed_form"] == pytest.approx(0.1 * 1.5 * beta * np.sqrt(1 - 2 * p[2] + (p * p).sum()), rel=1e-13)
    assert abs(out["zero_sum_residual"]) < 1e-16
    h = lambda q: -(q * np.log(q)).sum()
    p2 = np.exp(beta * (z + dz) - np.log(np.exp(beta * (z + dz)).sum()))
    assert out["dH_actual"] == pytest.approx(h(p2) - h(p), rel=1e-9)
    assert out["dH_predicted"] == pytest.approx(out["dH_actual"], rel=0.05)
    with pytest.raises(ValueError, match="action"):
        logitdyn.update_report(z, action=4, advantage=1.0, lr=0.1)
    with pytest.raises(ValueError):
        logitdyn.update_report([1.0, float("nan")], action=0, advantage=1.0, lr=0.1)


def test_qre_trace_of_the_battle_of_the_sexes_and_of_matrices():
    out = logitdyn.qre_trace("battle-of-the-sexes", lambda_max=5.0, lambdas=[0.5, 2.0])
    assert out["lambda"][0] == 0 and out["lambda"][-1] == pytest.approx(5.0)
    assert out["x"].shape[1] == 2 and np.allclose(out["x"].sum(axis=1), 1)
    assert [e["kind"] for e in out["events"]] == ["bifurcation"]
    assert out["events"][0]["lambda"] == pytest.approx(1.3721835, abs=1e-6)
    assert out["qre_residual_end"] < 1e-9
    np.testing.assert_allclose(out["requested"]["lambda"], [0.5, 2.0])
    # Matching pennies as matrices: the QRE is uniform at every λ.
    a = np.array([[1.0, -1.0], [-1.0, 1.0]])
    pennies = logitdyn.qre_trace((a, -a), lambda_max=10.0)
    np.testing.assert_allclose(pennies["x"], 0.5, atol=1e-9)
    # A fixed point of x = softmax(λAy), y = softmax(λBᵀx) at every requested λ (numpy check).
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    out = logitdyn.qre_trace((A, B), lambda_max=4.0, lambdas=[1.0, 3.0])
    for lam, x, y in zip(out["requested"]["lambda"], out["requested"]["x"], out["requested"]["y"]):
        sx = np.exp(lam * A @ y); sx /= sx.sum()
        sy = np.exp(lam * B.T @ x); sy /= sy.sum()
        np.testing.assert_allclose(x, sx, atol=1e-9)
        np.testing.assert_allclose(y, sy, atol=1e-9)
    with pytest.raises(ValueError, match="one shape"):
        logitdyn.qre_trace((A, B[:, :3]))
    with pytest.raises(ValueError, match="no game|unknown"):
        logitdyn.qre_trace("no-such-game")
