#!/usr/bin/env python3
"""Expected GGUF metadata and tensor tables for tiny checkpoints of each exported family, derived from
llama.cpp's convert_hf_to_gguf.py rules (read from its source, written here independently of the C++):

- LlamaModel (llama): TextModel keys + rope.dimension_count + vocab_size; Q/K rows permuted (NORM rope).
- Qwen2Model / Qwen3Model: TextModel.set_gguf_parameters only (Qwen3: key/value_length = head_dim),
  rope scaling keys included (linear; yarn: type, factor, original_context_length, yarn_* when given);
  no permutation (NEOX rope); q/k/v biases kept as F32; q_norm/k_norm -> attn_q_norm/attn_k_norm.
- Gemma2Model: its own key list (softcaps, sliding_window, no rope keys); lm_head.weight dropped;
  every "*norm.weight" + 1; post_attention_layernorm -> post_attention_norm,
  pre_feedforward_layernorm -> ffn_norm, post_feedforward_layernorm -> post_ffw_norm.
- Gemma3Model: TextModel keys (freq_base from rope_theta, freq_base_swa from rope_local_base_freq),
  then sliding_window (sliding_window_pattern != 1); norms + 1 as Gemma2; token_embd keeps only the
  tokenizer's rows ("remove OOV rows"): tokenizer.model -> the vocab it writes (config vocab_size),
  else len(tokenizer.json model.vocab) + len(added_tokens).
- Gemma3ForConditionalGeneration is registered to the same Gemma3Model: TextModel.__init__ moves
  text_config to the top level; "language_model." is removed from the names (language_model.model.* and
  model.language_model.* both become model.*); vision_tower.* / multi_modal_projector.* (also under
  model.) are skipped (they go to the separate mmproj file, Gemma3VisionModel, with --mmproj).
- Phi3MiniModel: its own key list (original_context_length, rope.dimension_count from
  partial_rotary_factor * hidden // heads, sliding_window); qkv_proj -> attn_qkv, gate_up_proj -> ffn_up.
- Types (prepare_tensors): F32 for 1-D tensors, "_norm.weight" and non-".weight" tensors; the rest
  follows --outtype (f32 / f16).

The fixture folders are the ones tests/export/export_fixtures.cpp writes from the "spec" entries:
value of element (r, c) of the t-th tensor in sorted HF-name order is t*10000 + r*100 + c.

Run: /usr/bin/python3 tests/reference/gguf_arch_reference.py > tests/assets/export/arch_golden.json
"""
import json
import os

import numpy as np

SPECS = {
    "llama": dict(tied=False, head_dim=0),
    "qwen2": dict(tied=True, head_dim=0),
    "qwen3": dict(tied=False, head_dim=32),
    "gemma2": dict(tied=False, head_dim=0),
    "gemma3": dict(tied=True, head_dim=0),
    "phi3": dict(tied=False, head_dim=0),
    # multimodal Gemma-3 folders: current spelling with a tied head, older spelling with its own head
    "gemma3_mm": dict(family="gemma3", multimodal="current", tied=True, head_dim=0),
    "gemma3_mm_legacy": dict(family="gemma3", multimodal="legacy", tied=False, head_dim=0),
    # YaRN rope scaling (Qwen2.5/Qwen3 long-context configs): every key the converter copies; the legacy
    # "type" spelling with only a factor (original_max_position_embeddings -> max_position_embeddings).
    "qwen2_yarn": dict(family="qwen2", tied=True, head_dim=0, rope_scaling={
        "rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64, "attention_factor": 1.2,
        "beta_fast": 16.0, "beta_slow": 2.0}),
    "qwen3_yarn": dict(family="qwen3", tied=False, head_dim=32, rope_scaling={"type": "yarn", "factor": 2.0}),
    "llama_yarn": dict(family="llama", tied=False, head_dim=0, rope_scaling={
        "rope_type": "yarn", "factor": 8.0, "original_max_position_embeddings": 32}),
}
BPE_TOKENIZER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "export", "bpe",
                             "tokenizer.json")
BASE = dict(hidden=64, intermediate=96, layers=2, heads=4, kv_heads=2, vocab=20)

U32, F32V, STR = "u32", "f32", "str"
GGML_F32, GGML_F16 = 0, 1
FILE_TYPE = {"f32": 0, "f16": 1}


def hf_config(family, s):
    """config.json as the fixture writes it, with the HF config-class defaults the converter sees."""
    hd = s["head_dim"] or s["hidden"] // s["heads"]
    c = dict(hidden_size=s["hidden"], intermediate_size=s["intermediate"], num_hidden_layers=s["layers"],
             num_attention_heads=s["heads"], num_key_value_heads=s["kv_heads"], vocab_size=s["vocab"],
             max_position_embeddings=256, rms_norm_eps=1e-5, rope_theta=10000.0)
    if s["head_dim"]:
        c["head_dim"] = s["head_dim"]
    if family in ("gemma2", "gemma3"):
        c.update(head_dim=hd, query_pre_attn_scalar=hd, sliding_window=64)
    if family == "gemma2":
        c.update(attn_logit_softcapping=50.0, final_logit_softcapping=30.0)
    if family == "gemma3":
        c.update(rope_theta=1000000.0, rope_local_base_freq=10000.0, sliding_window_pattern=6)
    if family == "phi3":
        c.update(original_max_position_embeddings=256, sliding_window=128)
    if family == "qwen3":
        c.setdefault("head_dim", 128)  # Qwen3Config always has head_dim
    if s.get("rope_scaling"):
        c["rope_scaling"] = dict(s["rope_scaling"])
    return c


def rope_scaling_kv(a, c):
    """TextModel.set_gguf_parameters' rope scaling keys, from the rope parameters as transformers v5's
    AutoConfig hands them over (standardize_rope_params: rope_type from the legacy "type",
    original_max_position_embeddings from the top level, the dict, else max_position_embeddings)."""
    rs = c.get("rope_scaling") or {}
    rope_type = rs.get("rope_type", rs.get("type"))
    factor = rs.get("factor")
    if rope_type == "linear" and factor is not None:
        return [(f"{a}.rope.scaling.type", STR, "linear"), (f"{a}.rope.scaling.factor", F32V, factor)]
    if rope_type != "yarn" or factor is None:
        return []
    orig = c.get("original_max_position_embeddings") or rs.get("original_max_position_embeddings") \
        or c["max_position_embeddings"]
    kv = [(f"{a}.rope.scaling.type", STR, "yarn"), (f"{a}.rope.scaling.factor", F32V, factor),
          (f"{a}.rope.scaling.original_context_length", U32, orig)]
    attn = rs.get("attention_factor", rs.get("attn_factor"))
    if attn is not None:
        kv.append((f"{a}.rope.scaling.yarn_attn_factor", F32V, attn))
    if rs.get("beta_fast") is not None:
        kv.append((f"{a}.rope.scaling.yarn_beta_fast", F32V, rs["beta_fast"]))
    if rs.get("beta_slow") is not None:
        kv.append((f"{a}.rope.scaling.yarn_beta_slow", F32V, rs["beta_slow"]))
    return kv


def hf_tensors(family, s):
    hd = s["head_dim"] or s["hidden"] // s["heads"]
    H, KV, D, I = s["heads"], s["kv_heads"], s["hidden"], s["intermediate"]
    m = {"model.embed_tokens.weight": (s["vocab"], D), "model.norm.weight": (D,)}
    if not s["tied"]:
        m["lm_head.weight"] = (s["vocab"], D)
    for l in range(s["layers"]):
        p = f"model.layers.{l}."
        m[p + "input_layernorm.weight"] = (D,)
        m[p + "post_attention_layernorm.weight"] = (D,)
        if family == "phi3":
            m[p + "self_attn.qkv_proj.weight"] = ((H + 2 * KV) * hd, D)
            m[p + "mlp.gate_up_proj.weight"] = (2 * I, D)
        else:
            m[p + "self_attn.q_proj.weight"] = (H * hd, D)
            m[p + "self_attn.k_proj.weight"] = (KV * hd, D)
            m[p + "self_attn.v_proj.weight"] = (KV * hd, D)
            m[p + "mlp.gate_proj.weight"] = (I, D)
            m[p + "mlp.up_proj.weight"] = (I, D)
        m[p + "self_attn.o_proj.weight"] = (D, H * hd)
        m[p + "mlp.down_proj.weight"] = (D, I)
        if family == "qwen2":
            for x, n in (("q", H), ("k", KV), ("v", KV)):
                m[p + f"self_attn.{x}_proj.bias"] = (n * hd,)
        if family in ("qwen3", "gemma3"):
            m[p + "self_attn.q_norm.weight"] = (hd,)
            m[p + "self_attn.k_norm.weight"] = (hd,)
        if family in ("gemma2", "gemma3"):
            m[p + "pre_feedforward_layernorm.weight"] = (D,)
            m[p + "post_feedforward_layernorm.weight"] = (D,)
    return dict(sorted(m.items()))


def spelled_tensors(family, s):
    """The file's tensors: the causal LM's, or a Gemma3ForConditionalGeneration's (text tower renamed,
    vision tower and projector added), sorted by the name the file spells."""
    m = hf_tensors(family, s)
    mm = s.get("multimodal")
    if not mm:
        return m
    out = {}
    for name, shape in m.items():
        if name.startswith("lm_head."):
            out[name if mm == "current" else "language_model." + name] = shape
        else:
            out[("model.language_model." if mm == "current" else "language_model.model.") + name[len("model."):]] = shape
    v = "model." if mm == "current" else ""
    out[v + "vision_tower.vision_model.post_layernorm.weight"] = (16,)
    out[v + "vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight"] = (16, 16)
    out[v + "multi_modal_projector.mm_input_projection_weight"] = (16, s["hidden"])
    out[v + "multi_modal_projector.mm_soft_emb_norm.weight"] = (16,)
    return dict(sorted(out.items()))


def text_name(name):
    """Gemma3Model.modify_tensors: None for the vision tower / projector, else the name without language_model."""
    if name.startswith(("vision_tower.", "multi_modal_projector.", "model.vision_tower.", "model.multi_modal_projector.")):
        return None
    return name.replace("language_model.", "")


def tokenizer_rows():
    """Gemma3Model's n_vocab_real for the fixtures' tokenizer.json (no tokenizer.model)."""
    with open(BPE_TOKENIZER, encoding="utf-8") as f:
        j = json.load(f)
    return len(j["model"]["vocab"]) + len(j["added_tokens"])


def value(t, shape):
    rows = shape[0]
    cols = shape[1] if len(shape) > 1 else 1
    r = np.arange(rows, dtype=np.float64)[:, None]
    c = np.arange(cols, dtype=np.float64)[None, :]
    return (t * 10000 + r * 100 + c).astype(np.float32).reshape(shape)


def gguf_name(family, hf):
    """gguf-py tensor_mapping.py for these archs."""
    glob = {"model.embed_tokens": "token_embd", "model.norm": "output_norm", "lm_head": "output"}
    layer = {
        "input_layernorm": "attn_norm",
        "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
        "self_attn.o_proj": "attn_output", "self_attn.qkv_proj": "attn_qkv",
        "self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm",
        "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down",
        "mlp.gate_up_proj": "ffn_up",
        "post_attention_layernorm": "post_attention_norm" if family in ("gemma2", "gemma3") else "ffn_norm",
        "pre_feedforward_layernorm": "ffn_norm", "post_feedforward_layernorm": "post_ffw_norm",
    }
    base, suffix = hf.rsplit(".", 1)
    if base in glob:
        return f"{glob[base]}.{suffix}"
    parts = base.split(".")
    return f"blk.{parts[2]}.{layer['.'.join(parts[3:])]}.{suffix}"


def llama_permute(w, n_head):
    # convert_hf_to_gguf LlamaModel.permute
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def metadata(family, c, outtype):
    a = family
    ft = FILE_TYPE[outtype]
    hd = c.get("head_dim", c["hidden_size"] // c["num_attention_heads"])
    kv = []
    if family in ("llama", "qwen2", "qwen3", "gemma3"):  # TextModel.set_gguf_parameters
        kv += [(f"{a}.block_count", U32, c["num_hidden_layers"]),
               (f"{a}.context_length", U32, c["max_position_embeddings"]),
               (f"{a}.embedding_length", U32, c["hidden_size"]),
               (f"{a}.feed_forward_length", U32, c["intermediate_size"]),
               (f"{a}.attention.head_count", U32, c["num_attention_heads"]),
               (f"{a}.attention.head_count_kv", U32, c["num_key_value_heads"])]
        kv += rope_scaling_kv(a, c)
        kv.append((f"{a}.rope.freq_base", F32V, c["rope_theta"]))
        if "rope_local_base_freq" in c:
            kv.append((f"{a}.rope.freq_base_swa", F32V, c["rope_local_base_freq"]))
        kv.append((f"{a}.attention.layer_norm_rms_epsilon", F32V, c["rms_norm_eps"]))
        if "head_dim" in c:
            kv += [(f"{a}.attention.key_length", U32, c["head_dim"]),
                   (f"{a}.attention.value_length", U32, c["head_dim"])]
        kv.append(("general.file_type", U32, ft))
        if family == "llama":
            kv += [(f"{a}.rope.dimension_count", U32, hd), (f"{a}.vocab_size", U32, c["vocab_size"])]
        if family == "gemma3" and c.get("sliding_window_pattern") != 1:
            kv.append((f"{a}.attention.sliding_window", U32, c["sliding_window"]))
    elif family == "gemma2":
        kv += [(f"{a}.context_length", U32, c["max_position_embeddings"]),
               (f"{a}.embedding_length", U32, c["hidden_size"]),
               (f"{a}.block_count", U32, c["num_hidden_layers"]),
               (f"{a}.feed_forward_length", U32, c["intermediate_size"]),
               (f"{a}.attention.head_count", U32, c["num_attention_heads"]),
               (f"{a}.attention.head_count_kv", U32, c["num_key_value_heads"]),
               (f"{a}.attention.layer_norm_rms_epsilon", F32V, c["rms_norm_eps"]),
               (f"{a}.attention.key_length", U32, c["head_dim"]),
               (f"{a}.attention.value_length", U32, c["head_dim"]),
               ("general.file_type", U32, ft),
               (f"{a}.attn_logit_softcapping", F32V, c["attn_logit_softcapping"]),
               (f"{a}.final_logit_softcapping", F32V, c["final_logit_softcapping"]),
               (f"{a}.attention.sliding_window", U32, c["sliding_window"])]
    elif family == "phi3":
        n_embd, n_head = c["hidden_size"], c["num_attention_heads"]
        kv += [(f"{a}.context_length", U32, c["max_position_embeddings"]),
               (f"{a}.rope.scaling.original_context_length", U32, c["original_max_position_embeddings"]),
               (f"{a}.embedding_length", U32, n_embd),
               (f"{a}.feed_forward_length", U32, c["intermediate_size"]),
               (f"{a}.block_count", U32, c["num_hidden_layers"]),
               (f"{a}.attention.head_count", U32, n_head),
               (f"{a}.attention.head_count_kv", U32, c["num_key_value_heads"]),
               (f"{a}.attention.layer_norm_rms_epsilon", F32V, c["rms_norm_eps"]),
               (f"{a}.rope.dimension_count", U32, int(c.get("partial_rotary_factor", 1.0) * n_embd) // n_head),
               (f"{a}.rope.freq_base", F32V, c["rope_theta"]),
               ("general.file_type", U32, ft),
               (f"{a}.attention.sliding_window", U32, c.get("sliding_window") or 0)]
    out = [("general.architecture", STR, a)] + kv
    return [{"key": k, "type": t, "value": float(np.float32(v)) if t == F32V else v} for k, t, v in out]


def tensors(family, s, c, outtype):
    hf = spelled_tensors(family, s)
    out = []
    for t, (spelled, shape) in enumerate(hf.items()):
        name = text_name(spelled)
        if name is None:
            continue  # vision tower / projector: not in the text model's file
        if family == "gemma2" and name == "lm_head.weight":
            continue  # Gemma2Model drops it
        data = value(t, shape)
        if family == "gemma3" and name == "model.embed_tokens.weight":
            data = data[:tokenizer_rows()]  # remove OOV rows
            shape = data.shape
        if family == "llama" and name.endswith(("q_proj.weight", "k_proj.weight")):
            n = c["num_attention_heads"] if "q_proj" in name else c["num_key_value_heads"]
            data = llama_permute(data, n)
        if family in ("gemma2", "gemma3") and name.endswith("norm.weight"):
            data = data + np.float32(1)
        g = gguf_name(family, name)
        f32 = data.ndim < 2 or g.endswith("_norm.weight") or not g.endswith(".weight") or outtype == "f32"
        flat = data.reshape(data.shape[0], -1)
        entry = {"name": g, "ne": list(reversed(shape)), "type": GGML_F32 if f32 else GGML_F16}
        if outtype == "f32":  # the fixture's values (up to ~3e5) overflow float16; f16 checks names and types
            entry.update(row0=[float(x) for x in flat[0, :3]], col0=[float(x) for x in flat[:8, 0]])
        out.append(entry)
    return sorted(out, key=lambda x: x["name"])


def main():
    golden = {}
    for key, extra in SPECS.items():
        s = dict(BASE, **extra)
        family = s.get("family", key)
        c = hf_config(family, s)  # a multimodal config's text_config moved to the top: the same keys
        golden[key] = {"spec": s,
                       "f32": {"metadata": metadata(family, c, "f32"), "tensors": tensors(family, s, c, "f32")},
                       "f16": {"metadata": metadata(family, c, "f16"), "tensors": tensors(family, s, c, "f16")}}
    print(json.dumps(golden, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
