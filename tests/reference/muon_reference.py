#!/usr/bin/env python3
"""Golden values for tests/train/test_muon.cpp: Axolotl's `optimizer: muon` re-stated from its sources,
axolotl-contribs-mit's MuonOptimizerFactory (the parameter groups) over microsoft/dion's Muon as of
commit 0c20549 (dion/muon.py: muon_update_pre_orthogonalize, zeropower_via_newtonschulz5,
muon_update_post_orthogonalize, adjust_lr_spectral_norm; dion/scalar_opts.py: adamw_update_foreach), one
tensor at a time with dion's float32 0-dim scalars. Params of a small LLaMA-like naming (embedding, head,
square, wide and tall projections, a bias, a norm, a vector that takes decay), 3 steps of fixed gradients with a changing learning
rate; one matrix has no gradient in step 2 (skipped, its step still counted).
Run: /usr/bin/python3 tests/reference/muon_reference.py   (writes tests/assets/muon/golden.json)"""
import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "muon", "golden.json")

NS_CONSTS = [(4.0848, -6.8946, 2.9270), (3.9505, -6.3029, 2.6377), (3.7418, -5.5913, 2.3037),
             (2.8769, -3.1427, 1.2046), (2.8366, -3.0525, 1.2012)]


def zeropower_via_newtonschulz5(g, epsilon):
    x = g.to(dtype=torch.bfloat16)
    if g.size(-2) > g.size(-1):
        x = x.mT
    x = x / (x.norm(dim=(-2, -1), keepdim=True) + epsilon)
    for a, b, c in NS_CONSTS:
        A = x @ x.mT
        B = b * A + c * (A @ A)
        x = a * x + B @ x
    if g.size(-2) > g.size(-1):
        x = x.mT
    return x


def takes_decay(name):  # HF get_decay_parameter_names for these names: no biases, no norms
    return not name.endswith("bias") and "norm" not in name


def groups_of(named, lr, wd):  # MuonOptimizerFactory
    adam_decay, adam_plain, embeddings, muon_decay, muon_plain = [], [], [], [], []
    for name, p in named:
        if name.endswith("modules_to_save.default.weight") or "embed_tokens" in name or "lm_head" in name:
            embeddings.append(name)
        elif p.ndim < 2:
            (adam_decay if takes_decay(name) else adam_plain).append(name)
        else:
            (muon_decay if takes_decay(name) else muon_plain).append(name)
    out = []
    for algo, names, decay in (("adamw", adam_decay, wd), ("adamw", adam_plain, 0.0), ("adamw", embeddings, 0.0),
                               ("muon", muon_decay, wd), ("muon", muon_plain, 0.0)):
        if names:
            out.append({"algorithm": algo, "names": names, "weight_decay": decay, "lr": lr, "step": 0})
    return out


def muon_step(x, grad, state, group, mu, epsilon, nesterov=True):
    if "momentum" not in state:
        state["momentum"] = torch.zeros_like(x)
    m = state["momentum"]
    g = grad.to(dtype=m.dtype)
    momentum = torch.tensor(mu)
    m.mul_(momentum)
    m.add_(g)
    u = m * momentum + g if nesterov else m
    u = u.to(dtype=torch.bfloat16)
    u = zeropower_via_newtonschulz5(u, epsilon=torch.tensor(epsilon))
    lr = torch.tensor(group["lr"])
    x.mul_(1 - lr * torch.tensor(group["weight_decay"]))
    fan_out, fan_in = x.shape[-2:]
    adjusted_lr = lr * math.sqrt(fan_out / fan_in)
    x.sub_(u * adjusted_lr)


def adamw_step(x, grad, state, group, beta1, beta2, epsilon):
    if "momentum" not in state:
        state["momentum"] = torch.zeros_like(x)
        state["variance"] = torch.zeros_like(x)
    m, v = state["momentum"], state["variance"]
    beta1, beta2 = torch.tensor(beta1), torch.tensor(beta2)
    g = grad.to(dtype=m.dtype)
    m.lerp_(g, 1 - beta1)
    v.lerp_((g * g).to(dtype=v.dtype), 1 - beta2)
    step = torch.tensor(group["step"])
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    denom = v.sqrt()
    denom.div_(bias_correction2.sqrt())
    denom.add_(torch.tensor(epsilon))
    lr = torch.tensor(group["lr"])
    x.mul_(1 - lr * torch.tensor(group["weight_decay"]))
    update = m / denom
    update.mul_(lr / bias_correction1)
    x.sub_(update)


def main():
    gen = torch.Generator().manual_seed(2020)
    shapes = [("model.embed_tokens.weight", (16, 8)), ("model.layers.0.self_attn.q_proj.weight", (8, 8)),
              ("model.layers.0.self_attn.q_proj.bias", (8,)), ("model.layers.0.mlp.up_proj.weight", (12, 8)),
              ("model.layers.0.mlp.down_proj.weight", (8, 12)), ("model.layers.0.input_layernorm.weight", (8,)),
              ("model.layers.0.mixer.scale", (8,)), ("lm_head.weight", (16, 8))]
    named = [(n, torch.randn(s, generator=gen) * 0.1) for n, s in shapes]
    initial = {n: p.clone() for n, p in named}
    params = dict(named)
    settings = {"lr": 0.02, "mu": 0.95, "beta1": 0.9, "beta2": 0.95, "epsilon": 1e-8, "weight_decay": 0.1}
    groups = groups_of(named, settings["lr"], settings["weight_decay"])
    lrs = [0.02, 0.015, 0.01]
    states = {n: {} for n, _ in named}
    steps = []
    for k, lr in enumerate(lrs):
        grads = {n: torch.randn(p.shape, generator=gen) * (0.5 + k) for n, p in named}
        if k == 1:
            del grads["model.layers.0.mlp.up_proj.weight"]
        for group in groups:
            group["lr"] = lr
            group["step"] += 1
            for n in group["names"]:
                if n not in grads:
                    continue
                if group["algorithm"] == "muon":
                    muon_step(params[n], grads[n], states[n], group, settings["mu"], settings["epsilon"])
                else:
                    adamw_step(params[n], grads[n], states[n], group, settings["beta1"], settings["beta2"],
                               settings["epsilon"])
        steps.append({"lr": lr, "grads": {n: g.flatten().tolist() for n, g in grads.items()},
                      "params": {n: p.flatten().tolist() for n, p in params.items()}})
    probe = torch.randn(12, 8, generator=gen)
    golden = {"source": "tests/reference/muon_reference.py", "settings": settings,
              "order": [n for n, _ in shapes], "shapes": {n: list(s) for n, s in shapes}, "initial": {n: p.flatten().tolist() for n, p in initial.items()},
              "groups": [{"algorithm": g["algorithm"], "names": g["names"], "weight_decay": g["weight_decay"]} for g in groups],
              "steps": steps,
              "newton_schulz": {"input": probe.flatten().tolist(),
                                "output": zeropower_via_newtonschulz5(probe, torch.tensor(1e-8)).float().flatten().tolist()}}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(golden, f)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
