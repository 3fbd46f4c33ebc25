#!/usr/bin/python3
"""Goldens for tests/train/test_objective_reward.cpp: Bradley-Terry reward modelling as TRL 1.8's
RewardTrainer computes it (trl/trainer/reward_trainer.py compute_loss, DataCollatorForPreference) on a
transformers *ForSequenceClassification model (GenericForSequenceClassification.forward: the score head on the
hidden state of the last token whose id is not config.pad_token_id). Plain torch; the decoder is
family_reference.py's (transformers and trl are not used). Run with /usr/bin/python3:

    /usr/bin/python3 tests/reference/reward_reference.py OUT_DIR

For each of qwen2 (tied embeddings, pad = EOS, so a sequence ending in EOS is scored one token earlier)
and gemma2 (pad 0; its final logit soft-cap belongs to lm_head and must not touch the score), writes
OUT_DIR/<family>_rm/{config.json, model.safetensors} (the classifier checkpoint: score.weight, no lm_head) and
OUT_DIR/<family>_rm/golden.json: the rows, and loss and metrics over three full fine-tuning AdamW steps (every
weight, the score head included) with center_rewards_coefficient. Also OUT_DIR/qwen3_base (an untied causal LM,
no score head) for the conversion of a base checkpoint.

Process reward models (TRL 1.8's PRMTrainer: the HF Trainer loss of a *ForTokenClassification model,
GenericForTokenClassification.forward with dropout off, ForTokenClassification's cross-entropy over the labels
that are not -100, no shift): OUT_DIR/<family>_prm/{config.json, model.safetensors, golden.json} for qwen2 and
gemma2 (2 labels, score.weight and score.bias), the loss and the token accuracy over three AdamW steps.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from family_reference import FAMILIES, hidden_states, make_weights  # noqa: E402
from llama_reference import write_safetensors  # noqa: E402

STEPS, LR, CENTER = 3, 1e-2, 0.01
# (chosen, rejected) token ids, lengths differing so that padding and pooling matter; the first pair ends in
# EOS (2), which is qwen2's pad here.
PAIRS = [
    ([5, 9, 17, 33, 40, 2], [5, 9, 17, 12, 2]),
    ([7, 7, 50, 3, 4, 21, 8], [7, 7, 50, 3]),
    ([11, 60, 22, 30], [11, 60, 22, 31, 44, 45, 46, 47, 9]),
]
PAD = {"qwen2": 2, "gemma2": 0}
SEEDS = {"qwen2": 101, "gemma2": 102, "qwen3": 103}


def padded_rows(pad):
    """[chosen; rejected], right-padded with pad (DataCollatorForPreference)."""
    rows = [c for c, _ in PAIRS] + [r for _, r in PAIRS]
    t = max(len(r) for r in rows)
    ids = torch.full((len(rows), t), pad, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
    return rows, ids


def rewards(cfg, params, rows, ids, pad):
    t = ids.shape[1]
    last = (torch.arange(t) * (ids != pad).long()).argmax(-1)  # the last non-pad position
    out = []
    for i, r in enumerate(rows):
        h = hidden_states(cfg, params, r)[0]                  # (T_i, H): right padding changes nothing before it
        out.append(F.linear(h[last[i]], params["score.weight"])[0])
    return torch.stack(out), last


def run(out, name):
    cfg = dict(FAMILIES[name])
    pad = PAD[name]
    sd = make_weights(cfg, SEEDS[name])
    g = torch.Generator().manual_seed(SEEDS[name] + 1000)
    sd["score.weight"] = torch.randn(1, cfg["hidden_size"], generator=g) * 0.2
    sd.pop("lm_head.weight", None)
    folder = os.path.join(out, name + "_rm")
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "model.safetensors"), sd)
    rm_cfg = dict(cfg, architectures=[cfg["architectures"][0].replace("ForCausalLM", "ForSequenceClassification")],
                  id2label={"0": "LABEL_0"}, label2id={"LABEL_0": 0}, pad_token_id=pad)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(rm_cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    params = {k: v.clone().requires_grad_(True) for k, v in sd.items()}
    opt = torch.optim.AdamW(list(params.values()), lr=LR, weight_decay=0.0)
    rows, ids = padded_rows(pad)
    p = len(PAIRS)
    steps = []
    for _ in range(STEPS):
        r, last = rewards(cfg, params, rows, ids, pad)
        rc, rr = r[:p], r[p:]
        loss = -F.logsigmoid(rc - rr).mean() + CENTER * torch.mean((rc + rr) ** 2)
        with torch.no_grad():
            metrics = {"min_reward": r.min().item(), "mean_reward": r.mean().item(), "max_reward": r.max().item(),
                       "accuracy": (rc > rr).float().mean().item(), "margin": (rc - rr).mean().item()}
        steps.append({"loss": loss.item(), "metrics": metrics})
        opt.zero_grad()
        loss.backward()
        opt.step()
    golden = {"script": "tests/reference/reward_reference.py", "pad": pad, "input_ids": ids.tolist(),
              "lengths": [len(r) for r in rows], "pooled": last.tolist(), "learning_rate": LR,
              "center_rewards_coefficient": CENTER, "steps": steps}
    with open(os.path.join(folder, "golden.json"), "w") as f:
        json.dump(golden, f)
        f.write("\n")


# Token rows with a class label on some positions (each step's last token), -100 elsewhere.
PRM_ROWS = [
    ([5, 9, 17, 33, 40, 2, 8], [-100, -100, 1, -100, 0, -100, 1]),
    ([7, 7, 50, 3], [-100, -100, -100, 0]),
    ([11, 60, 22, 30, 44, 45], [-100, 1, -100, -100, 1, 0]),
]


def prm(out, name):
    cfg = dict(FAMILIES[name])
    sd = make_weights(cfg, SEEDS[name] + 10)
    g = torch.Generator().manual_seed(SEEDS[name] + 2000)
    sd["score.weight"] = torch.randn(2, cfg["hidden_size"], generator=g) * 0.2
    sd["score.bias"] = torch.randn(2, generator=g) * 0.1
    sd.pop("lm_head.weight", None)
    folder = os.path.join(out, name + "_prm")
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "model.safetensors"), sd)
    prm_cfg = dict(cfg, architectures=[cfg["architectures"][0].replace("ForCausalLM", "ForTokenClassification")],
                   id2label={"0": "LABEL_0", "1": "LABEL_1"}, label2id={"LABEL_0": 0, "LABEL_1": 1})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(prm_cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    params = {k: v.clone().requires_grad_(True) for k, v in sd.items()}
    opt = torch.optim.AdamW(list(params.values()), lr=LR, weight_decay=0.0)
    count = sum(sum(1 for x in lab if x != -100) for _, lab in PRM_ROWS)
    steps = []
    for _ in range(STEPS):
        total = torch.zeros(())
        hits = 0
        for ids, lab in PRM_ROWS:
            h = hidden_states(cfg, params, ids)[0]                               # (T, H)
            scores = F.linear(h, params["score.weight"], params["score.bias"])   # (T, 2)
            target = torch.tensor(lab)
            total = total + F.cross_entropy(scores, target, ignore_index=-100, reduction="sum")
            keep = target != -100
            hits += int((scores.argmax(-1)[keep] == target[keep]).sum())
        loss = total / count
        steps.append({"loss": loss.item(), "accuracy": hits / count})
        opt.zero_grad()
        loss.backward()
        opt.step()
    t = max(len(ids) for ids, _ in PRM_ROWS)
    golden = {"script": "tests/reference/reward_reference.py", "learning_rate": LR,
              "input_ids": [ids + [0] * (t - len(ids)) for ids, _ in PRM_ROWS],
              "labels": [lab + [-100] * (t - len(lab)) for _, lab in PRM_ROWS],
              "lengths": [len(ids) for ids, _ in PRM_ROWS], "steps": steps}
    with open(os.path.join(folder, "golden.json"), "w") as f:
        json.dump(golden, f)
        f.write("\n")


def base(out, name):
    cfg = dict(FAMILIES[name])
    folder = os.path.join(out, name + "_base")
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "model.safetensors"), make_weights(cfg, SEEDS[name]))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")


def main():
    out = sys.argv[1]
    torch.manual_seed(0)
    for name in PAD:
        run(out, name)
        prm(out, name)
    base(out, "qwen3")


if __name__ == "__main__":
    main()
