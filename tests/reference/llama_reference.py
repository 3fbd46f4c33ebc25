#!/usr/bin/python3
"""Reference LLaMA forward/greedy decoding for tests/model (FORMATS.md §2.3-2.4, HF modeling_llama.py
semantics written out in plain torch; transformers is not used). Run with /usr/bin/python3 (torch 1.13):

    /usr/bin/python3 tests/reference/llama_reference.py [--shared /work/shared]

Writes tests/assets/model/{tiny_tied,tiny_untied}/{config.json,model.safetensors,golden.json} and, when
the shared stories260K model exists, tests/assets/model/stories260K_golden.json.
"""
import argparse
import json
import math
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ASSETS = os.path.join(HERE, "..", "assets", "model")

DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}


# ---- safetensors by hand (FORMATS.md §1.1, §1.4) --------------------------------------------------
def write_safetensors(path, tensors):
    names = sorted(tensors)  # all F32: dtype order is equal, so by name
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name in names:
        t = tensors[name].detach().to(torch.float32).contiguous()
        data = t.numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        buf = bytearray(raw[8 + n + b:8 + n + e])
        dtype = DTYPES[info["dtype"]]
        out[name] = torch.frombuffer(buf, dtype=dtype).reshape(info["shape"]).to(torch.float32)
    return out


# ---- model ------------------------------------------------------------------------------------------
def inv_freq_for(cfg):
    hd = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    base = cfg.get("rope_theta", 10000.0)
    inv = 1.0 / (base ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    rs = cfg.get("rope_scaling")
    if rs:
        kind = rs.get("rope_type", rs.get("type"))
        if kind == "linear":
            inv = inv / rs["factor"]
        elif kind == "llama3":
            factor, low, high = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
            orig = rs["original_max_position_embeddings"]
            low_wl, high_wl = orig / low, orig / high
            wavelen = 2 * math.pi / inv
            scaled = torch.where(wavelen > low_wl, inv / factor, inv)
            smooth = (orig / wavelen - low) / (high - low)
            smoothed = (1 - smooth) * scaled / factor + smooth * scaled
            medium = ~(wavelen < high_wl) * ~(wavelen > low_wl)
            inv = torch.where(medium, smoothed, scaled)
    return inv, hd


def rms_norm(x, w, eps):
    dtype = x.dtype
    x32 = x.float()
    x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps)
    return w * x32.to(dtype)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def linear(x, sd, name):
    b = sd.get(name + ".bias")
    return torch.nn.functional.linear(x, sd[name + ".weight"], b)


def forward(cfg, sd, ids):
    """ids: list[int] -> logits (T, V) float32 (single sequence, causal)."""
    nh, nkv = cfg["num_attention_heads"], cfg.get("num_key_value_heads") or cfg["num_attention_heads"]
    eps = cfg["rms_norm_eps"]
    inv, hd = inv_freq_for(cfg)
    x = sd["model.embed_tokens.weight"][torch.tensor([ids])]  # (1, T, H)
    t = len(ids)
    pos = torch.arange(t).float()[None, :]  # (1, T)
    freqs = pos[..., None] * inv  # (1, T, hd/2)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[:, None], emb.sin()[:, None]  # (1, 1, T, hd)
    mask = torch.full((t, t), torch.finfo(torch.float32).min).triu(1)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, sd[p + "input_layernorm.weight"], eps)
        q = linear(h, sd, p + "self_attn.q_proj").view(1, t, nh, hd).transpose(1, 2)
        k = linear(h, sd, p + "self_attn.k_proj").view(1, t, nkv, hd).transpose(1, 2)
        v = linear(h, sd, p + "self_attn.v_proj").view(1, t, nkv, hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(nh // nkv, dim=1)
        v = v.repeat_interleave(nh // nkv, dim=1)
        s = torch.matmul(q, k.transpose(2, 3)) * hd ** -0.5 + mask
        pr = torch.softmax(s, dim=-1, dtype=torch.float32).to(q.dtype)
        a = torch.matmul(pr, v).transpose(1, 2).reshape(1, t, nh * hd)
        x = x + linear(a, sd, p + "self_attn.o_proj")
        h = rms_norm(x, sd[p + "post_attention_layernorm.weight"], eps)
        m = torch.nn.functional.silu(linear(h, sd, p + "mlp.gate_proj")) * linear(h, sd, p + "mlp.up_proj")
        x = x + linear(m, sd, p + "mlp.down_proj")
    x = rms_norm(x, sd["model.norm.weight"], eps)
    head = sd["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else sd["lm_head.weight"]
    return torch.nn.functional.linear(x, head)[0]


def greedy(cfg, sd, prompt, n):
    ids = list(prompt)
    for _ in range(n):
        ids.append(int(forward(cfg, sd, ids)[-1].argmax()))
    return ids[len(prompt):]


# ---- fixtures --------------------------------------------------------------------------------------
def make_weights(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    H, I, V, hd = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"], cfg["head_dim"]
    rnd = lambda *shape: torch.randn(*shape, generator=g) * 0.2
    norm = lambda: 1.0 + 0.1 * torch.randn(H, generator=g)
    sd = {"model.embed_tokens.weight": rnd(V, H), "model.norm.weight": norm()}
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        shapes = {"self_attn.q_proj": (nh * hd, H), "self_attn.k_proj": (nkv * hd, H),
                  "self_attn.v_proj": (nkv * hd, H), "self_attn.o_proj": (H, nh * hd),
                  "mlp.gate_proj": (I, H), "mlp.up_proj": (I, H), "mlp.down_proj": (H, I)}
        for name, shape in shapes.items():
            sd[p + name + ".weight"] = rnd(*shape)
            is_attn = name.startswith("self_attn")
            if (is_attn and cfg["attention_bias"]) or (not is_attn and cfg["mlp_bias"]):
                sd[p + name + ".bias"] = rnd(shape[0])
        sd[p + "input_layernorm.weight"] = norm()
        sd[p + "post_attention_layernorm.weight"] = norm()
    if not cfg["tie_word_embeddings"]:
        sd["lm_head.weight"] = rnd(V, H)
    return sd


TINY = {
    "tiny_tied": dict(architectures=["LlamaForCausalLM"], model_type="llama", vocab_size=64, hidden_size=32,
                      intermediate_size=80, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                      head_dim=8, max_position_embeddings=128, rms_norm_eps=1e-6, rope_theta=10000.0,
                      rope_scaling=None, tie_word_embeddings=True, attention_bias=False, mlp_bias=False,
                      bos_token_id=1, eos_token_id=2, torch_dtype="float32"),
    # Explicit head_dim != H / nh, one kv head, biases, untied head and llama3 rope scaling.
    "tiny_untied": dict(architectures=["LlamaForCausalLM"], model_type="llama", vocab_size=48, hidden_size=32,
                        intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=1,
                        head_dim=16, max_position_embeddings=64, rms_norm_eps=1e-5, rope_theta=500000.0,
                        rope_scaling={"rope_type": "llama3", "factor": 4.0, "low_freq_factor": 1.0,
                                      "high_freq_factor": 4.0, "original_max_position_embeddings": 16},
                        tie_word_embeddings=False, attention_bias=True, mlp_bias=True,
                        bos_token_id=1, eos_token_id=[2, 3], torch_dtype="float32"),
}
INPUT_IDS = [1, 7, 22, 5, 31, 9, 14, 40, 3, 17, 26, 11]
PROMPT = [1, 12, 30, 4]


def build_tiny(name, cfg, seed):
    folder = os.path.join(ASSETS, name)
    os.makedirs(folder, exist_ok=True)
    sd = make_weights(cfg, seed)
    write_safetensors(os.path.join(folder, "model.safetensors"), sd)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    ids = [i % cfg["vocab_size"] for i in INPUT_IDS]
    with torch.no_grad():
        logits = forward(cfg, sd, ids)
        tokens = greedy(cfg, sd, PROMPT, 16)
    golden = {"script": "tests/reference/llama_reference.py", "input_ids": ids,
              "logits": [[float(v) for v in row] for row in logits], "prompt": PROMPT, "greedy": tokens}
    with open(os.path.join(folder, "golden.json"), "w") as f:
        json.dump(golden, f)
        f.write("\n")


def build_stories(shared):
    folder = os.path.join(shared, "models", "stories260K")
    if not os.path.isdir(folder):
        print("stories260K absent, skipped")
        return
    import sentencepiece as spm
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    sd = read_safetensors(os.path.join(folder, "model.safetensors"))
    sp = spm.SentencePieceProcessor(model_file=os.path.join(folder, "tokenizer.model"))
    ids = [sp.bos_id()] + sp.encode("Once upon a time")
    with torch.no_grad():
        logits = forward(cfg, sd, ids)
        tokens = greedy(cfg, sd, ids, 30)
    golden = {"script": "tests/reference/llama_reference.py", "input_ids": ids,
              "logits": [[float(v) for v in row] for row in logits], "greedy": tokens,
              "greedy_text": sp.decode(tokens)}
    print("stories260K greedy:", repr(golden["greedy_text"]))
    with open(os.path.join(ASSETS, "stories260K_golden.json"), "w") as f:
        json.dump(golden, f)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(HERE, "..", "..", "..", "shared"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    for i, (name, cfg) in enumerate(TINY.items()):
        build_tiny(name, cfg, 1234 + i)
    build_stories(args.shared)


if __name__ == "__main__":
    main()
