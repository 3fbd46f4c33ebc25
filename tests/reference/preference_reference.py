#!/usr/bin/python3
"""Golden numbers for tests/train/test_objective.cpp (DPO/IPO also with use_weighting, WPO; and test_objective_kto_ddp.cpp: KTO on 2 ranks, the KL
estimate gathered over them): DPO (sigmoid), IPO, ORPO, SimPO and KTO losses and TRL's metrics over a few AdamW steps of a LoRA adapter on the tiny PEFT reference LLaMA
(tests/assets/adapters/peft_tiny/base). Our own implementation of TRL 1.8's formulas (FORMATS2.md §4.3-4.5;
trl/trainer/dpo_trainer.py, trl/experimental/{orpo,cpo}, trl/trainer/kto_trainer.py); trl itself is not used. The reference model of
DPO/IPO is the base without the adapter. Run: /usr/bin/python3 tests/reference/preference_reference.py
Writes tests/assets/train/preference/{adapter/, golden.json}."""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from llama_reference import read_safetensors  # noqa: E402
from peft_reference import R, ALPHA, forward, write_safetensors  # noqa: E402

ASSETS = os.path.join(HERE, "..", "assets")
OUT = os.path.join(ASSETS, "train", "preference")
TARGETS = ["q_proj", "v_proj", "down_proj"]
BOS, EOS, PAD = 1, 2, 0
# (prompt, chosen, rejected) token ids as TRL's tokenization gives them: the prompt with BOS, each
# completion ending in EOS; lengths differ so padding and length normalisation matter.
PAIRS = [
    ([BOS, 5, 9, 17], [33, 40, EOS], [12, EOS]),
    ([BOS, 7, 7], [50, 3, 4, 21, EOS], [50, 3, 8, EOS]),
    ([BOS, 11, 60, 22, 23], [30, EOS], [31, 44, 45, 46, EOS]),
]
# KTO's unpaired examples (prompt, completion, desirable), one micro-batch, of different lengths: TRL 1.8's
# logits/* sum every logit of the padded rows, so padding positions (computed with the attention mask, as
# transformers does) count; the KL rows pair prompt i with completion i-1 (TRL's +1 rotation within a
# per-device batch).
KTO_EXAMPLES = [
    ([BOS, 5, 9, 17], [33, 40, EOS], True),
    ([BOS, 7, 7], [50, 3, 8, EOS], False),
    ([BOS, 11, 60, 22, 23], [30, 31, EOS], True),
    ([BOS, 6], [14, 15, 16, EOS], False),
]
KTO = {"beta": 0.5, "desirable_weight": 0.7, "undesirable_weight": 1.3}
STEPS, LR = 3, 2e-2
SETTINGS = {
    "dpo": {"beta": 0.1}, "ipo": {"beta": 0.1}, "orpo": {"beta": 0.25},
    "simpo": {"beta": 2.0, "simpo_gamma": 0.5, "cpo_alpha": 1.0, "label_smoothing": 0.1},
}


def initial_adapter(w):
    g = torch.Generator().manual_seed(77)
    a = {}
    for key in sorted(w):
        module = key[: -len(".weight")]
        if any(module.endswith("." + t) for t in TARGETS):
            out_f, in_f = w[key].shape
            bound = 1 / math.sqrt(in_f)
            a[module + ".lora_A.weight"] = (torch.rand(R, in_f, generator=g) * 2 - 1) * bound
            a[module + ".lora_B.weight"] = 0.05 * torch.randn(out_f, R, generator=g)
    return a


def batch():
    """[chosen; rejected] rows, right-padded; labels = ids on completion tokens, -100 elsewhere."""
    rows = [p + c for p, c, _ in PAIRS] + [p + r for p, _, r in PAIRS]
    prompt_lens = [len(p) for p, _, _ in PAIRS] * 2
    t = max(len(r) for r in rows)
    ids = torch.full((len(rows), t), PAD, dtype=torch.long)
    labels = torch.full((len(rows), t), -100, dtype=torch.long)
    attn = torch.zeros((len(rows), t), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
        labels[i, prompt_lens[i]: len(r)] = torch.tensor(r[prompt_lens[i]:])
        attn[i, : len(r)] = 1
    return ids, labels, attn


def token_logps(logits, labels):
    shift_logits, shift_labels = logits[:, :-1], labels[:, 1:]
    mask = shift_labels != -100
    lp = torch.log_softmax(shift_logits, -1).gather(-1, shift_labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return lp * mask, mask


def dpo_loss(name, s, w, lora, ids, labels, attn):
    beta = s["beta"]
    logits = forward(w, lora, ids)
    per_tok, mask = token_logps(logits, labels)
    logps = per_tok.sum(1)
    with torch.no_grad():
        ref_per_tok, _ = token_logps(forward(w, {}, ids), labels)
        ref = ref_per_tok.sum(1)
    p = ids.shape[0] // 2
    cr, rr = logps[:p] - ref[:p], logps[p:] - ref[p:]
    if name == "ipo":
        lens = mask.sum(1).clamp(min=1)
        delta = cr / lens[:p] - rr / lens[p:]
        loss = (delta - 1 / (2 * beta)) ** 2
    else:
        loss = -F.logsigmoid(beta * (cr - rr))
    if s.get("use_weighting"):
        # WPO eq. 2 (TRL 1.8 use_weighting): per completion token log p - log sum_v p_v^2, the row's mean,
        # exp, chosen x rejected; no gradient and no clamp.
        with torch.no_grad():
            lsm = torch.log_softmax(logits[:, :-1], -1)
            log_sq = torch.logsumexp(2 * lsm, -1)
            lens = mask.sum(1).clamp(min=1)
            row_w = torch.exp(((per_tok - log_sq) * mask).sum(1) / lens)
        loss = loss * (row_w[:p] * row_w[p:])
    loss = loss.mean()
    sl = logits[:, :-1].detach()
    lp = torch.log_softmax(sl, -1)
    entropy = -(lp.exp() * lp).sum(-1)
    m = {}
    m["entropy"] = ((entropy * mask).sum() / mask.sum()).item()
    cm = mask[:p]
    m["mean_token_accuracy"] = (((sl[:p].argmax(-1) == labels[:p, 1:]) & cm).sum() / cm.sum()).item()
    m["logits/chosen"] = (sl[:p][cm].mean(-1).sum() / cm.sum()).item()
    m["logits/rejected"] = (sl[p:][mask[p:]].mean(-1).sum() / mask[p:].sum()).item()
    c_rew, r_rew = beta * cr.detach(), beta * rr.detach()
    m["rewards/chosen"] = c_rew.mean().item()
    m["rewards/rejected"] = r_rew.mean().item()
    m["rewards/accuracies"] = (c_rew > r_rew).float().mean().item()
    m["rewards/margins"] = (c_rew - r_rew).mean().item()
    m["logps/chosen"] = logps[:p].mean().item()
    m["logps/rejected"] = logps[p:].mean().item()
    return loss, m


def log1mexp(x):
    return torch.where(x < -0.6931471805599453, torch.log1p(-torch.exp(x)), torch.log(-torch.expm1(x)))


def nll(logits, labels):
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=-100)


def orpo_or_simpo(name, s, w, lora, ids, labels, attn):
    beta = s["beta"]
    # TRL's ORPO/CPO pass the attention mask (no position ids): padding positions, which logits/* average,
    # see the earlier real tokens.
    logits = forward(w, lora, ids, attn)
    per_tok, mask = token_logps(logits, labels)
    avg = per_tok.sum(1) / mask.sum(1)
    p = ids.shape[0] // 2
    lc, lr = avg[:p], avg[p:]
    m = {}
    if name == "orpo":
        full_labels = torch.where(attn == 1, ids, torch.full_like(ids, -100))
        nll_loss = nll(logits[:p], full_labels[:p])
        log_odds = (lc - lr) - (log1mexp(lc) - log1mexp(lr))
        ratio = F.logsigmoid(log_odds)
        loss = nll_loss - (beta * ratio).mean()
        m["log_odds_ratio"] = ratio.mean().item()
        m["log_odds_chosen"] = log_odds.mean().item()
        m["logits/chosen"] = logits[:p, :-1].detach().mean().item()
        m["logits/rejected"] = logits[p:, :-1].detach().mean().item()
    else:
        eps = s["label_smoothing"]
        z = (lc - lr) - s["simpo_gamma"] / beta
        losses = -F.logsigmoid(beta * z) * (1 - eps) - F.logsigmoid(-beta * z) * eps
        nll_loss = nll(logits[:p], labels[:p])
        loss = losses.mean() + s["cpo_alpha"] * nll_loss
        m["logits/chosen"] = logits[:p].detach().mean().item()
        m["logits/rejected"] = logits[p:].detach().mean().item()
    c_rew, r_rew = beta * lc.detach(), beta * lr.detach()
    m["rewards/chosen"] = c_rew.mean().item()
    m["rewards/rejected"] = r_rew.mean().item()
    m["rewards/accuracies"] = (c_rew > r_rew).float().mean().item()
    m["rewards/margins"] = (c_rew - r_rew).mean().item()
    m["logps/chosen"] = lc.mean().item()
    m["logps/rejected"] = lr.mean().item()
    m["nll_loss"] = nll_loss.item()
    return loss, m


def kto_batch(examples=None):
    """[examples; KL rows] right-padded to the longest row, as the collator lays them out; the KL rows pair
    prompt i with completion i-1 within the given examples (one per-device batch)."""
    examples = KTO_EXAMPLES if examples is None else examples
    n = len(examples)
    rows = [(p, c) for p, c, _ in examples]
    rows += [(examples[i][0], examples[(i - 1) % n][1]) for i in range(n)]
    t = max(len(p) + len(c) for p, c in rows)
    ids = torch.full((len(rows), t), PAD, dtype=torch.long)
    labels = torch.full((len(rows), t), -100, dtype=torch.long)
    for i, (p, c) in enumerate(rows):
        ids[i, : len(p) + len(c)] = torch.tensor(p + c)
        labels[i, len(p): len(p) + len(c)] = torch.tensor(c)
    return ids, labels, [d for _, _, d in examples]


def kto_rank(w, lora, ids, labels, desirable):
    """One rank's forward passes: policy log-probs (with grad), reference log-probs, its unclamped KL
    estimate, and the sums TRL gathers for its metrics."""
    n = len(desirable)
    lens = [int((ids[i] != PAD).sum()) for i in range(ids.shape[0])]
    tm, tk = max(lens[:n]), max(lens[n:])
    ids_m, lab_m = ids[:n, :tm], labels[:n, :tm]
    ids_k, lab_k = ids[n:, :tk], labels[n:, :tk]
    attn_m = (torch.arange(tm).unsqueeze(0) < torch.tensor(lens[:n]).unsqueeze(1)).long()  # the collator's masks
    attn_k = (torch.arange(tk).unsqueeze(0) < torch.tensor(lens[n:]).unsqueeze(1)).long()
    beta = KTO["beta"]
    logits = forward(w, lora, ids_m, attn_m)
    per_tok, mask = token_logps(logits, lab_m)
    logps = per_tok.sum(1)
    with torch.no_grad():
        kl_logps = token_logps(forward(w, lora, ids_k, attn_k), lab_k)[0].sum(1)
        ref_kl = token_logps(forward(w, {}, ids_k, attn_k), lab_k)[0].sum(1)
        ref = token_logps(forward(w, {}, ids_m, attn_m), lab_m)[0].sum(1)
        local_kl = (kl_logps - ref_kl).mean()
    d = torch.tensor(desirable)
    sl = logits[:, :-1].detach()
    lp = torch.log_softmax(sl, -1)
    entropy = -(lp.exp() * lp).sum(-1)
    ratios = (logps - ref).detach()
    sums = {"chosen": int(d.sum()), "rejected": int((~d).sum()),
            "chosen_rewards": (beta * ratios[d]).sum().item(), "rejected_rewards": (beta * ratios[~d]).sum().item(),
            "chosen_logps": logps[d].detach().sum().item(), "rejected_logps": logps[~d].detach().sum().item(),
            # TRL 1.8: every logit of the rows (unshifted, padding included), summed; over the row count below
            "chosen_logits": logits[d].detach().double().sum().item(),
            "rejected_logits": logits[~d].detach().double().sum().item(),
            "entropy": (entropy * mask).sum().item(), "tokens": int(mask.sum())}
    return {"logps": logps, "ref": ref, "kl": local_kl, "desirable": d, "sums": sums}


def kto_step(w, lora, rank_batches):
    """TRL's KTO loss on each rank's batch, with the KL estimate gathered over ranks
    (accelerator.gather_for_metrics(kl).mean().clamp(min=0)); returns the mean of the ranks' losses (DDP
    averages their gradients) and the gathered metrics."""
    beta = KTO["beta"]
    parts = [kto_rank(w, lora, *b) for b in rank_batches]
    kl = torch.stack([p["kl"] for p in parts]).mean().clamp(min=0)
    rank_losses = []
    for p in parts:
        d = p["desirable"]
        ratios = p["logps"] - p["ref"]
        cl, rl = ratios[d], ratios[~d]
        losses = torch.cat((KTO["desirable_weight"] * (1 - torch.sigmoid(beta * (cl - kl))),
                            KTO["undesirable_weight"] * (1 - torch.sigmoid(beta * (kl - rl)))))
        rank_losses.append(losses.nanmean())
    loss = torch.stack(rank_losses).mean()
    s = {k: sum(p["sums"][k] for p in parts) for k in parts[0]["sums"]}
    m = {"kl": kl.item(), "entropy": s["entropy"] / s["tokens"]}
    m["rewards/chosen"] = s["chosen_rewards"] / s["chosen"]
    m["logps/chosen"] = s["chosen_logps"] / s["chosen"]
    m["logits/chosen"] = s["chosen_logits"] / s["chosen"]
    m["rewards/rejected"] = s["rejected_rewards"] / s["rejected"]
    m["logps/rejected"] = s["rejected_logps"] / s["rejected"]
    m["logits/rejected"] = s["rejected_logits"] / s["rejected"]
    m["rewards/margins"] = m["rewards/chosen"] - m["rewards/rejected"]
    m["rank_kl"] = [p["kl"].item() for p in parts]  # not a TRL metric: shows the ranks' estimates differ
    return loss, m


# 2 ranks x 2 examples of KTO_EXAMPLES (rank r: examples 2r, 2r+1, KL rows rotated within them).
KTO_RANKS = [KTO_EXAMPLES[0:2], KTO_EXAMPLES[2:4]]


# dpo_use_weighting: true (WPO) for the two TRL DPO losses Axolotl passes it to.
WPO_SETTINGS = {"dpo": {"beta": 0.1, "use_weighting": True}, "ipo": {"beta": 0.1, "use_weighting": True}}


def run(name, w, lora0, settings=None):
    lora = {k: v.clone().requires_grad_(True) for k, v in lora0.items()}
    opt = torch.optim.AdamW([lora[k] for k in sorted(lora)], lr=LR, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    ids, labels, attn = batch()
    steps = []
    for _ in range(STEPS):
        opt.zero_grad()
        if name == "kto":
            loss, m = kto_step(w, lora, [kto_batch()])
            del m["rank_kl"]
        elif name == "kto_ddp":
            loss, m = kto_step(w, lora, [kto_batch(r) for r in KTO_RANKS])
        else:
            fn = dpo_loss if name in ("dpo", "ipo") else orpo_or_simpo
            loss, m = fn(name, (settings or SETTINGS)[name], w, lora, ids, labels, attn)
        loss.backward()
        opt.step()
        steps.append({"loss": loss.item(), "metrics": m})
    return steps


def main():
    torch.manual_seed(0)
    w = read_safetensors(os.path.join(ASSETS, "adapters", "peft_tiny", "base", "model.safetensors"))
    lora = initial_adapter(w)
    adapter_dir = os.path.join(OUT, "adapter")
    os.makedirs(adapter_dir, exist_ok=True)
    write_safetensors(os.path.join(adapter_dir, "adapter_model.safetensors"),
                      {"base_model.model." + k: v for k, v in lora.items()}, {"format": "pt"})
    config = {"base_model_name_or_path": "peft_tiny/base", "bias": "none", "fan_in_fan_out": False,
              "inference_mode": True, "init_lora_weights": True, "lora_alpha": ALPHA, "lora_dropout": 0.0,
              "modules_to_save": None, "peft_type": "LORA", "r": R, "target_modules": sorted(TARGETS),
              "task_type": "CAUSAL_LM", "use_dora": False, "use_rslora": False}
    with open(os.path.join(adapter_dir, "adapter_config.json"), "w") as f:
        f.write(json.dumps(config, indent=2, sort_keys=True))
    ids, labels, _ = batch()
    golden = {"input_ids": ids.tolist(), "labels": labels.tolist(), "steps": STEPS, "learning_rate": LR,
              "settings": SETTINGS, "runs": {}}
    kids, klabels, kdes = kto_batch()
    golden["kto"] = {"input_ids": kids.tolist(), "labels": klabels.tolist(), "desirable": kdes, "settings": KTO}
    golden["kto_ddp"] = {"ranks": [dict(zip(("input_ids", "labels", "desirable"), (lambda b: (b[0].tolist(), b[1].tolist(), b[2]))(kto_batch(r))))
                                   for r in KTO_RANKS]}
    for name in list(SETTINGS) + ["kto", "kto_ddp"]:
        golden["runs"][name] = run(name, w, lora)
        print(name, [round(s["loss"], 6) for s in golden["runs"][name]])
    golden["wpo"] = {"settings": WPO_SETTINGS, "runs": {}}
    for name in WPO_SETTINGS:
        golden["wpo"]["runs"][name] = run(name, w, lora, WPO_SETTINGS)
        print(name, "use_weighting", [round(s["loss"], 6) for s in golden["wpo"]["runs"][name]])
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump(golden, f, indent=1)


if __name__ == "__main__":
    main()
