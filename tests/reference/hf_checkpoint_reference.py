#!/usr/bin/env python3
"""Checks the optimizer.pt / scheduler.pt / rng_state.pth that tests/train/test_hf_checkpoint_files.cpp
wrote (with our LibTorch code) the way HF Trainer would use them, with real torch objects: torch.load
(also weights_only=True), then what Trainer._load_optimizer_and_scheduler and _load_rng_state do
(optimizer.load_state_dict, scheduler.load_state_dict, random.setstate, np.random.set_state,
torch.set_rng_state). The same 3 AdamW steps and the linear schedule are re-run here in torch
(transformers' _get_linear_schedule_with_warmup_lr_lambda, restated), so keys, shapes and values are
compared against PyTorch's own state_dicts, and a 4th step from the loaded state must reach the
parameters our 4th step reached. Then it writes py_optimizer.pt / py_rng_state.pth with torch.save as
Trainer does, for the C++ test to read (the other direction).
Run: /usr/bin/python3 tests/reference/hf_checkpoint_reference.py DIR   (DIR holds the C++ files)"""
import functools
import json
import os
import pickletools
import random
import sys
import zipfile

import numpy as np
import torch

LR, WD, BETAS, EPS, WARMUP, TOTAL, STEPS, SEED = 0.01, 0.1, (0.9, 0.99), 1e-8, 1, 10, 3, 42


# What torch >= 2.0's weights_only unpickler (torch.load's default from 2.6, so Trainer's) allows here,
# besides the typed storages. torch 1.13's own weights_only cannot be used as the check: it refuses
# every float (pickle opcode BINFLOAT), even in files Python wrote.
SAFE_GLOBALS = {"torch._utils._rebuild_tensor_v2", "collections.OrderedDict", "torch._utils._rebuild_parameter"}


def pickle_globals(path):
    with zipfile.ZipFile(path) as z:
        data = z.read(next(n for n in z.namelist() if n.endswith("/data.pkl")))
    found, strings = set(), []
    for op, arg, _ in pickletools.genops(data):
        if op.name == "GLOBAL":
            found.add(arg.replace(" ", "."))
        elif op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(arg)
        elif op.name == "STACK_GLOBAL":
            found.add(".".join(strings[-2:]))
    return found


def linear_lambda(step, num_warmup_steps, num_training_steps):
    if step < num_warmup_steps:
        return float(step) / float(max(1, num_warmup_steps))
    return max(0.0, float(num_training_steps - step) / float(max(1, num_training_steps - num_warmup_steps)))


NAMES = ("w", "v", "norm.weight", "q_norm.weight")  # two per group: Python pickles 1-element lists with APPEND


def initial_params():
    # The test's parameters: w (4, 3), v (2, 3) with weight decay; norm.weight (3,), q_norm.weight (2,) without.
    w = (torch.arange(12, dtype=torch.float32).reshape(4, 3) / 10.0 - 0.5).requires_grad_()
    v = (torch.arange(6, dtype=torch.float32).reshape(2, 3) / 5.0 - 0.3).requires_grad_()
    n = torch.full((3,), 0.5, dtype=torch.float32).requires_grad_()
    q = torch.full((2,), -0.25, dtype=torch.float32).requires_grad_()
    return [w, v, n, q]


def set_grads(params, k):
    for p in params:
        p.grad = (p.detach() * 0.5 + 0.1 * k).clone()


def build(params):
    opt = torch.optim.AdamW([{"params": params[:2], "weight_decay": WD}, {"params": params[2:], "weight_decay": 0.0}],
                            lr=LR, betas=BETAS, eps=EPS)
    lam = functools.partial(linear_lambda, num_warmup_steps=WARMUP, num_training_steps=TOTAL)
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, lam)


def close(a, b, what, tol=1e-6):
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    if a.shape != b.shape or not torch.allclose(a, b, rtol=tol, atol=tol):
        raise SystemExit(f"{what}: ours {a.tolist()} vs torch {b.tolist()}")


def main(d):
    for name in ("optimizer.pt", "scheduler.pt", "rng_state.pth"):
        used = pickle_globals(os.path.join(d, name))
        unsafe = sorted(g for g in used if g not in SAFE_GLOBALS and not g.endswith("Storage"))
        assert not unsafe, f"{name} needs globals torch.load(weights_only=True) refuses: {unsafe}"
    ours_opt = torch.load(os.path.join(d, "optimizer.pt"))
    ours_sched = torch.load(os.path.join(d, "scheduler.pt"))
    ours_rng = torch.load(os.path.join(d, "rng_state.pth"))

    # The same run in torch.
    params = initial_params()
    opt, sched = build(params)
    for k in range(STEPS):
        set_grads(params, k)
        opt.step()
        sched.step()
    ref_opt, ref_sched = opt.state_dict(), sched.state_dict()
    assert set(ours_opt) == {"state", "param_groups"}, sorted(ours_opt)
    assert sorted(ours_opt["state"]) == sorted(ref_opt["state"]) == [0, 1, 2, 3], sorted(ours_opt["state"])
    for i, ref in ref_opt["state"].items():
        ours = ours_opt["state"][i]
        assert set(ref) <= set(ours), (sorted(ours), sorted(ref))
        assert torch.is_tensor(ours["step"]) and ours["step"].dtype == ref["step"].dtype, ours["step"]
        for k in ("step", "exp_avg", "exp_avg_sq"):
            assert ours[k].shape == ref[k].shape, (k, ours[k].shape, ref[k].shape)
            close(ours[k], ref[k], f"state[{i}][{k}]")
    assert len(ours_opt["param_groups"]) == len(ref_opt["param_groups"]) == 2
    for g, (ours, ref) in enumerate(zip(ours_opt["param_groups"], ref_opt["param_groups"])):
        assert set(ref) <= set(ours), (g, sorted(set(ref) - set(ours)))
        for k in ref:
            if isinstance(ref[k], float):
                close(ours[k], ref[k], f"param_groups[{g}][{k}]", 1e-12)
            else:
                assert ours[k] == ref[k] or k in ("foreach",), (g, k, ours[k], ref[k])
    assert set(ours_sched) == set(ref_sched), (sorted(ours_sched), sorted(ref_sched))
    for k, ref in ref_sched.items():
        if k in ("base_lrs", "_last_lr"):
            close(ours_sched[k], ref, f"scheduler {k}", 1e-12)
        else:
            assert ours_sched[k] == ref, (k, ours_sched[k], ref)

    # Trainer resuming from our files: fresh objects, load_state_dict, one more step.
    with open(os.path.join(d, "params_after_3.json")) as f:
        after3 = json.load(f)
    with open(os.path.join(d, "params_after_4.json")) as f:
        after4 = json.load(f)
    resumed = [torch.tensor(after3[n]).requires_grad_() for n in NAMES]
    opt2, sched2 = build(resumed)
    opt2.load_state_dict(ours_opt)
    sched2.load_state_dict(ours_sched)
    close(sched2.get_last_lr(), sched.get_last_lr(), "scheduler get_last_lr after load", 1e-12)
    set_grads(resumed, STEPS)
    opt2.step()
    sched2.step()
    for n, p in zip(NAMES, resumed):
        close(p.detach(), torch.tensor(after4[n]), f"{n} after the 4th step")

    # rng_state.pth as Trainer._load_rng_state uses it.
    assert {"python", "numpy", "cpu"} <= set(ours_rng), sorted(ours_rng)
    random.seed(SEED)
    expected_py = random.getstate()
    random.seed(0)
    random.setstate(ours_rng["python"])
    assert random.getstate() == expected_py, "python state is not random.seed(42)'s"
    np.random.seed(SEED)
    expected_np = np.random.get_state()
    np.random.seed(0)
    np.random.set_state(ours_rng["numpy"])
    got_np = np.random.get_state()
    assert got_np[0] == "MT19937" and np.array_equal(got_np[1], expected_np[1]) and got_np[2:] == expected_np[2:]
    torch.manual_seed(123)
    torch.randn(3)
    expected = torch.randn(5)
    torch.set_rng_state(ours_rng["cpu"])
    assert torch.equal(torch.randn(5), expected), "cpu generator state"

    # The other direction: what Trainer writes (torch.save of the state_dicts, Trainer's rng dict).
    torch.save(ref_opt, os.path.join(d, "py_optimizer.pt"))
    torch.save(ref_sched, os.path.join(d, "py_scheduler.pt"))
    torch.manual_seed(321)
    torch.save({"python": random.getstate(), "numpy": np.random.get_state(), "cpu": torch.random.get_rng_state()},
               os.path.join(d, "py_rng_state.pth"))
    expected = torch.randn(4)
    with open(os.path.join(d, "py_expected.json"), "w") as f:
        json.dump({"randn_after_rng_state": expected.tolist(),
                   "after_3": {n: p.detach().tolist() for n, p in zip(NAMES, params)}}, f)
    print("ok")


if __name__ == "__main__":
    main(sys.argv[1])
