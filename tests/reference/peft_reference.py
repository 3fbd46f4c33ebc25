#!/usr/bin/env python3
"""Golden files for tests/adapters: a tiny HF LLaMA, a PEFT-format LoRA adapter for it, and the logits of
base + adapter, written with PEFT's semantics from FORMATS.md §3 (peft itself is not installed, so the
LoRA math and the file layout are re-stated here: y = base(x) + B(A(x))·alpha/r, keys
"base_model.model.<module>.lora_A.weight", adapter_config.json via json.dumps(indent=2, sort_keys=True)).
Also torch's create_dynamic_map values (FORMATS.md §4.3, bitsandbytes functional.py) for test_nf4.
Run: /usr/bin/python3 tests/reference/peft_reference.py   (writes tests/assets/adapters/)"""
import json
import math
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "adapters")

CONFIG = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 64, "hidden_size": 32,
    "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
    "max_position_embeddings": 64, "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": False,
    "hidden_act": "silu", "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32",
}
R, ALPHA = 4, 8
TARGETS = ["q_proj", "v_proj", "down_proj"]
MODULES_TO_SAVE = ["lm_head"]
INPUT_IDS = [[1, 5, 9, 17, 33, 2, 40, 63], [1, 7, 7, 7, 12, 50, 3, 4]]


def write_safetensors(path, tensors, metadata=None):
    """FORMATS.md §1.4: sorted by dtype (all F32 here) then name, compact JSON padded to 8 with spaces."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        data = tensors[name].detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def base_weights(g):
    c, w = CONFIG, {}
    H, I, V, hd = c["hidden_size"], c["intermediate_size"], c["vocab_size"], c["hidden_size"] // c["num_attention_heads"]
    nh, nkv = c["num_attention_heads"], c["num_key_value_heads"]
    w["model.embed_tokens.weight"] = torch.randn(V, H, generator=g)
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = 1 + 0.1 * torch.randn(H, generator=g)
        w[p + "post_attention_layernorm.weight"] = 1 + 0.1 * torch.randn(H, generator=g)
        for name, shape in [("self_attn.q_proj", (nh * hd, H)), ("self_attn.k_proj", (nkv * hd, H)),
                            ("self_attn.v_proj", (nkv * hd, H)), ("self_attn.o_proj", (H, nh * hd)),
                            ("mlp.gate_proj", (I, H)), ("mlp.up_proj", (I, H)), ("mlp.down_proj", (H, I))]:
            w[p + name + ".weight"] = torch.randn(*shape, generator=g) / math.sqrt(shape[1])
    w["model.norm.weight"] = 1 + 0.1 * torch.randn(H, generator=g)
    w["lm_head.weight"] = torch.randn(V, H, generator=g) / math.sqrt(H)
    return w


def adapter_weights(w, g):
    """A ~ kaiming_uniform(a=√5) = U(±1/√in); B random instead of zeros so the adapter changes the output."""
    a = {}
    for key, weight in w.items():
        module = key[: -len(".weight")]
        if any(module.endswith("." + t) for t in TARGETS):
            out_f, in_f = weight.shape
            bound = 1 / math.sqrt(in_f)
            a[module + ".lora_A.weight"] = (torch.rand(R, in_f, generator=g) * 2 - 1) * bound
            a[module + ".lora_B.weight"] = 0.3 * torch.randn(out_f, R, generator=g)
    a["lm_head.weight"] = w["lm_head.weight"] + 0.05 * torch.randn(*w["lm_head.weight"].shape, generator=g)
    return a


def rms_norm(x, weight, eps):
    x32 = x.float()
    return weight * (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps)).to(x.dtype)


def rotate_half(x):
    d = x.shape[-1] // 2
    return torch.cat((-x[..., d:], x[..., :d]), dim=-1)


def forward(w, lora, ids, attention_mask=None):
    """FORMATS.md §2.3 forward with LoRA (§3.4) on the targeted linears; lm_head from modules_to_save.
    attention_mask (B, T) 0/1: transformers' key-padding mask on top of the causal one (a padding query sees
    the earlier non-padding keys), with positions 0..T-1 as transformers gives them without position_ids."""
    c = CONFIG
    nh, nkv = c["num_attention_heads"], c["num_key_value_heads"]
    hd = c["hidden_size"] // nh
    scaling = ALPHA / R

    def linear(x, module):
        y = x @ w[module + ".weight"].T
        if module + ".lora_A.weight" in lora:
            y = y + (x @ lora[module + ".lora_A.weight"].T @ lora[module + ".lora_B.weight"].T) * scaling
        return y

    B, T = ids.shape
    h = w["model.embed_tokens.weight"][ids]
    inv_freq = 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    pos = torch.arange(T).float()
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    mask = torch.full((T, T), float("-inf")).triu(1)
    if attention_mask is not None:
        mask = mask + torch.where(attention_mask[:, None, None, :] == 1, 0.0, float("-inf"))  # (B, 1, T, T)
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        x = rms_norm(h, w[p + "input_layernorm.weight"], c["rms_norm_eps"])
        q = linear(x, p + "self_attn.q_proj").view(B, T, nh, hd).transpose(1, 2)
        k = linear(x, p + "self_attn.k_proj").view(B, T, nkv, hd).transpose(1, 2)
        v = linear(x, p + "self_attn.v_proj").view(B, T, nkv, hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(nh // nkv, dim=1), v.repeat_interleave(nh // nkv, dim=1)
        scores = (q @ k.transpose(2, 3)) * hd ** -0.5 + mask
        attn = torch.softmax(scores.float(), dim=-1).to(q.dtype) @ v
        h = h + linear(attn.transpose(1, 2).reshape(B, T, nh * hd), p + "self_attn.o_proj")
        x = rms_norm(h, w[p + "post_attention_layernorm.weight"], c["rms_norm_eps"])
        mlp = torch.nn.functional.silu(linear(x, p + "mlp.gate_proj")) * linear(x, p + "mlp.up_proj")
        h = h + linear(mlp, p + "mlp.down_proj")
    h = rms_norm(h, w["model.norm.weight"], c["rms_norm_eps"])
    return h @ lora.get("lm_head.weight", w["lm_head.weight"]).T


def dynamic_map():
    """bitsandbytes create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)."""
    data = []
    for i in range(7):
        boundaries = torch.linspace(0.1, 1, 2 ** i + 1, dtype=torch.float32)
        means = (boundaries[:-1] + boundaries[1:]) / 2.0
        data += ((10 ** (-6 + i)) * means).tolist()
        data += (-(10 ** (-6 + i)) * means).tolist()
    data += [0, 1.0]
    data.sort()
    return torch.tensor(data, dtype=torch.float32)


def main():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1234)
    base_dir, adapter_dir = os.path.join(OUT, "peft_tiny", "base"), os.path.join(OUT, "peft_tiny", "adapter")
    os.makedirs(base_dir, exist_ok=True)
    os.makedirs(adapter_dir, exist_ok=True)
    w = base_weights(g)
    lora = adapter_weights(w, g)
    with open(os.path.join(base_dir, "config.json"), "w") as f:
        f.write(json.dumps(CONFIG, indent=2, sort_keys=True) + "\n")
    write_safetensors(os.path.join(base_dir, "model.safetensors"), w, {"format": "pt"})
    # PEFT save_pretrained: adapter name stripped, wrapper prefix kept, modules_to_save under its own name.
    write_safetensors(os.path.join(adapter_dir, "adapter_model.safetensors"),
                      {"base_model.model." + k: v for k, v in lora.items()}, {"format": "pt"})
    # PEFT 0.19.1 LoraConfig.to_dict() (peft/tuners/lora/config.py, peft/config.py): every field but
    # runtime_config, at its default unless set here.
    adapter_config = {
        "alora_invocation_tokens": None, "alpha_pattern": {}, "arrow_config": None, "auto_mapping": None,
        "base_model_name_or_path": "peft_tiny/base", "bias": "none", "corda_config": None,
        "ensure_weight_tying": False, "eva_config": None,
        "exclude_modules": None, "fan_in_fan_out": False, "inference_mode": True, "init_lora_weights": True,
        "layer_replication": None, "layers_pattern": None, "lora_bias": False,
        "layers_to_transform": None, "loftq_config": {}, "lora_alpha": ALPHA, "lora_dropout": 0.05,
        "lora_ga_config": None, "megatron_config": None, "megatron_core": "megatron.core",
        "modules_to_save": MODULES_TO_SAVE, "peft_type": "LORA", "peft_version": "0.19.1", "qalora_group_size": 16,
        "r": R, "rank_pattern": {}, "revision": None, "target_modules": sorted(TARGETS), "target_parameters": None,
        "task_type": "CAUSAL_LM", "trainable_token_indices": None, "use_bdlora": None, "use_dora": False,
        "use_qalora": False, "use_rslora": False,
    }
    with open(os.path.join(adapter_dir, "adapter_config.json"), "w") as f:
        f.write(json.dumps(adapter_config, indent=2, sort_keys=True))
    ids = torch.tensor(INPUT_IDS)
    with torch.no_grad():
        logits = forward(w, lora, ids)
        base_logits = forward(w, {}, ids)
    with open(os.path.join(OUT, "peft_tiny", "logits.json"), "w") as f:
        json.dump({"input_ids": INPUT_IDS, "shape": list(logits.shape), "logits": logits.flatten().tolist(),
                   "base_logits": base_logits.flatten().tolist()}, f)
    with open(os.path.join(OUT, "dynamic_map.f32"), "wb") as f:
        f.write(dynamic_map().numpy().astype("<f4").tobytes())
    print("adapter changes logits by max", (logits - base_logits).abs().max().item())


if __name__ == "__main__":
    main()
