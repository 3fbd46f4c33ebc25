#!/usr/bin/env python3
"""Golden values for tests/train/test_cross_entropy.cpp (EAFT): Axolotl's entropy-aware focal training
loss re-stated from its source (src/axolotl/monkeypatch/loss/eaft.py): on the counted rows, the top-k
logits in float32, their softmax p, the entropy -sum(p * log(p + 1e-10)), weights entropy ** alpha
without gradient, and the summed per-row cross-entropy times the weights. Rows are given already shifted
(the C++ kernel receives shifted logits and targets). Cases: k below the vocabulary, k above it (all
logits), alpha 1 and 0.5, and ignored rows; the gradient of the weighted sum w.r.t. the logits.
Run: /usr/bin/python3 tests/reference/eaft_reference.py   (writes tests/assets/eaft/golden.json)"""
import json
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "eaft", "golden.json")


def eaft_sum(logits, labels, alpha, k):
    mask = labels != -100
    with torch.no_grad():
        top, _ = torch.topk(logits[mask].float(), k=min(k, logits.size(-1)), dim=-1)
        probs = F.softmax(top, dim=-1)
        entropy = -(probs * torch.log(probs + 1e-10)).sum(dim=-1)
        weights = torch.pow(entropy, alpha)
    per_row = F.cross_entropy(logits[mask], labels[mask], reduction="none")
    return (per_row * weights).sum()


def case(seed, n, v, alpha, k):
    g = torch.Generator().manual_seed(seed)
    logits = (torch.randn(n, v, generator=g) * 2.5).requires_grad_(True)
    labels = torch.randint(0, v, (n,), generator=g)
    labels[::4] = -100
    loss = eaft_sum(logits, labels, alpha, k)
    loss.backward()
    return {"n": n, "v": v, "alpha": alpha, "k": k, "logits": logits.detach().flatten().tolist(),
            "labels": labels.tolist(), "loss_sum": loss.item(), "grad": logits.grad.flatten().tolist()}


def main():
    cases = [case(1, 13, 40, 1.0, 20), case(2, 9, 40, 0.5, 5), case(3, 7, 12, 1.0, 20)]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"source": "tests/reference/eaft_reference.py", "cases": cases}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
