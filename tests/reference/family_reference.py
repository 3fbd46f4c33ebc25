#!/usr/bin/python3
"""Reference forward/greedy decoding of the non-LLaMA families for tests/model/test_family.cpp, written in
plain torch from the semantics of transformers' models/{qwen2,qwen3,gemma2,gemma3,phi3}/modeling_*.py and
configuration_*.py as summarised in FORMATS2.md §5, and modeling_rope_utils.py for the RoPE scaling types
(transformers is not used). Run with /usr/bin/python3:

    /usr/bin/python3 tests/reference/family_reference.py OUT_DIR

Writes OUT_DIR/<family>/{config.json, model.safetensors, golden.json} for each tiny random checkpoint, and
two tiny Gemma3ForConditionalGeneration checkpoints (gemma3_mm, gemma3_mm_legacy: both weight spellings).
golden.json holds the teacher-forced logits, greedy ids, and under "controls" the logits with one
family feature switched off (negative controls: each must differ from the golden, so the golden tests it).
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_reference import write_safetensors  # noqa: E402  (the same hand-written safetensors writer)

INPUT_IDS = [1, 7, 22, 5, 31, 9, 14, 40, 3, 17, 26, 11]
PROMPT = [1, 12, 30, 4]


# ---- building blocks (each names its HF source) --------------------------------------------------
def rms_norm(x, w, eps, unit_offset):
    """LlamaRMSNorm: normalise in fp32, cast, times w. Gemma2RMSNorm/Gemma3RMSNorm: (x·r)·(1 + w) in fp32, cast."""
    x32 = x.float()
    normed = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps)
    if unit_offset:
        return (normed * (1.0 + w.float())).to(x.dtype)
    return w * normed.to(x.dtype)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def apply_rope(x, cos, sin):
    """modeling_phi3.apply_rotary_pos_emb: rotate the first cos.shape[-1] dims, pass the rest."""
    rd = cos.shape[-1]
    xr, xp = x[..., :rd], x[..., rd:]
    return torch.cat((xr * cos + rotate_half(xr) * sin, xp), dim=-1)


def inv_freq(base, dim, ext=None):
    """ROPE_INIT_FUNCTIONS default (and longrope: 1 / (ext · base^(2i/d)))."""
    pos = base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim)
    if ext is not None:
        return 1.0 / (torch.tensor(ext, dtype=torch.float32) * pos)
    return 1.0 / pos


def yarn(cfg, rs, base, dim):
    """modeling_rope_utils._compute_yarn_parameters (transformers v5) -> (inv_freq, attention_factor).
    standardize_rope_params first: a top-level original_max_position_embeddings wins, then the rope dict's,
    else max_position_embeddings."""
    orig = cfg.get("original_max_position_embeddings") or rs.get("original_max_position_embeddings") \
        or cfg["max_position_embeddings"]
    factor = rs["factor"]
    if factor is None:
        factor = cfg["max_position_embeddings"] / orig

    def get_mscale(scale, mscale=1):
        return 1.0 if scale <= 1 else 0.1 * mscale * math.log(scale) + 1.0

    attention_factor = rs.get("attention_factor")
    if attention_factor is None:
        if rs.get("mscale") and rs.get("mscale_all_dim"):
            attention_factor = float(get_mscale(factor, rs["mscale"]) / get_mscale(factor, rs["mscale_all_dim"]))
        else:
            attention_factor = get_mscale(factor)
    beta_fast, beta_slow = rs.get("beta_fast") or 32, rs.get("beta_slow") or 1

    def correction_dim(rotations):
        return (dim * math.log(orig / (rotations * 2 * math.pi))) / (2 * math.log(base))

    low, high = correction_dim(beta_fast), correction_dim(beta_slow)
    if rs.get("truncate", True):
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    pos_freqs = base ** (torch.arange(0, dim, 2).to(dtype=torch.float) / dim)
    extrapolation, interpolation = 1.0 / pos_freqs, 1.0 / (factor * pos_freqs)
    ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
    extrapolation_factor = 1 - ramp
    inv = interpolation * (1 - extrapolation_factor) + extrapolation * extrapolation_factor
    return inv, attention_factor


def cos_sin(inv, positions, scaling=1.0):
    freqs = positions.float()[:, None] * inv[None, :]  # (T, rd/2)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos() * scaling, emb.sin() * scaling


def linear(x, sd, name):
    return torch.nn.functional.linear(x, sd[name + ".weight"], sd.get(name + ".bias"))


# ---- the forward, driven by the config and the switched-off features ----------------------------
def layer_is_sliding(cfg, i):
    if cfg.get("sliding_window") is None:
        return False
    mt = cfg["model_type"]
    if mt in ("qwen2", "qwen3"):
        return bool(cfg.get("use_sliding_window")) and i >= cfg["max_window_layers"]
    if mt == "gemma2":
        return not bool(i % 2)
    if mt == "gemma3_text":
        return bool((i + 1) % cfg["sliding_window_pattern"])
    return True  # mistral, phi3: every layer


def rope_tables(cfg, positions, off):
    hd = cfg["head_dim"]
    rd = int(hd * cfg.get("partial_rotary_factor", 1.0)) if "partial_rotary" not in off else hd
    base = cfg.get("rope_theta", 10000.0)
    rs = cfg.get("rope_scaling")
    scaling = 1.0
    if rs and rs.get("rope_type", rs.get("type")) == "longrope" and "longrope" not in off:
        orig = cfg["original_max_position_embeddings"]
        seq_len = int(positions.max()) + 1
        ext = rs["long_factor"] if seq_len > orig else rs["short_factor"]
        ext = (ext * (rd // 2))[:rd // 2]  # the partial_rotary control rotates more dims: repeat the factors
        inv = inv_freq(base, rd, ext)
        factor = cfg["max_position_embeddings"] / orig
        scaling = math.sqrt(1 + math.log(factor) / math.log(orig)) if factor > 1 else 1.0
    elif rs and rs.get("rope_type", rs.get("type")) == "yarn" and "yarn" not in off:
        inv, scaling = yarn(cfg, rs, base, rd)
        if "yarn_attention_factor" in off:
            scaling = 1.0
    else:
        inv = inv_freq(base, rd)
        if rs and rs.get("rope_type", rs.get("type")) == "linear":
            inv = inv / rs["factor"]
    glob = cos_sin(inv, positions, scaling)
    local = glob
    if cfg.get("rope_local_base_freq") and "local_rope" not in off:
        local = cos_sin(inv_freq(cfg["rope_local_base_freq"], rd), positions)  # no scaling on local layers
    return glob, local


def forward(cfg, sd, ids, off=()):
    """ids: list[int] -> logits (T, V) float32, one causal sequence. `off`: features switched off."""
    x = hidden_states(cfg, sd, ids, off)
    head = sd["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else sd["lm_head.weight"]
    logits = torch.nn.functional.linear(x, head)[0]
    cap = cfg.get("final_logit_softcapping") if "final_softcap" not in off else None
    if cap:
        logits = torch.tanh(logits / cap) * cap
    return logits


def hidden_states(cfg, sd, ids, off=()):
    """ids: list[int] -> the final-normed hidden states (1, T, H) of the decoder (the model's `model(...)`)."""
    mt = cfg["model_type"]
    gemma = mt in ("gemma2", "gemma3_text")
    nh, nkv, hd, H = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"], cfg["hidden_size"]
    eps = cfg["rms_norm_eps"]
    unit = gemma and "unit_offset" not in off
    t = len(ids)
    positions = torch.arange(t)
    (gcos, gsin), (lcos, lsin) = rope_tables(cfg, positions, off)
    q_idx, k_idx = positions[:, None], positions[None, :]
    causal = k_idx <= q_idx
    window = cfg.get("sliding_window")
    sliding_mask = causal & ((q_idx - k_idx) < window) if window and "sliding_window" not in off else causal
    x = sd["model.embed_tokens.weight"][torch.tensor(ids)][None]  # (1, T, H)
    if gemma and "embed_scale" not in off:
        x = x * torch.tensor(H ** 0.5, dtype=x.dtype)  # Gemma2Model normalizer / Gemma3TextScaledWordEmbedding
    scalar = cfg.get("query_pre_attn_scalar") if gemma and "query_pre_attn_scalar" not in off else None
    scaling = (scalar if scalar else hd) ** -0.5
    softcap = cfg.get("attn_logit_softcapping") if "attn_softcap" not in off else None
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        sliding = layer_is_sliding(cfg, i)
        cos, sin = (lcos, lsin) if sliding else (gcos, gsin)
        mask = sliding_mask if sliding else causal
        h = rms_norm(x, sd[p + "input_layernorm.weight"], eps, unit)
        if mt == "phi3":  # Phi3Attention: fused rows q, k, v
            qkv = linear(h, sd, p + "self_attn.qkv_proj")
            q, k, v = qkv[..., :nh * hd], qkv[..., nh * hd:(nh + nkv) * hd], qkv[..., (nh + nkv) * hd:]
        else:
            names = {"q": "q_proj", "k": "k_proj", "v": "v_proj"}
            if "qkv_bias" in off:
                q, k, v = (torch.nn.functional.linear(h, sd[p + f"self_attn.{names[n]}.weight"]) for n in "qkv")
            else:
                q, k, v = (linear(h, sd, p + f"self_attn.{names[n]}") for n in "qkv")
        q, k, v = q.view(1, t, nh, hd), k.view(1, t, nkv, hd), v.view(1, t, nkv, hd)
        if p + "self_attn.q_norm.weight" in sd and "qk_norm" not in off:  # Qwen3 / Gemma-3: before RoPE
            q = rms_norm(q, sd[p + "self_attn.q_norm.weight"], eps, unit)
            k = rms_norm(k, sd[p + "self_attn.k_norm.weight"], eps, unit)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        k, v = k.repeat_interleave(nh // nkv, dim=1), v.repeat_interleave(nh // nkv, dim=1)
        s = torch.matmul(q, k.transpose(2, 3)) * scaling
        if softcap:  # Gemma-2: before the mask
            s = torch.tanh(s / softcap) * softcap
        s = s.masked_fill(~mask, torch.finfo(torch.float32).min)
        pr = torch.softmax(s, dim=-1, dtype=torch.float32).to(q.dtype)
        a = linear(torch.matmul(pr, v).transpose(1, 2).reshape(1, t, nh * hd), sd, p + "self_attn.o_proj")
        sandwich = gemma and "sandwich_norms" not in off
        if sandwich:
            a = rms_norm(a, sd[p + "post_attention_layernorm.weight"], eps, unit)
        x = x + a
        h = rms_norm(x, sd[p + ("pre_feedforward_layernorm" if sandwich else "post_attention_layernorm") + ".weight"],
                     eps, unit)
        act = torch.nn.functional.silu
        if cfg.get("hidden_activation", cfg.get("hidden_act")) == "gelu_pytorch_tanh" and "gelu_tanh" not in off:
            act = lambda z: torch.nn.functional.gelu(z, approximate="tanh")  # noqa: E731
        elif cfg.get("hidden_activation", cfg.get("hidden_act")) == "gelu_pytorch_tanh":
            act = torch.nn.functional.gelu  # control: exact GELU
        if mt == "phi3":  # Phi3MLP: gate_up_proj.chunk(2), first half gate
            gate, up = linear(h, sd, p + "mlp.gate_up_proj").chunk(2, dim=-1)
            if "gate_up_order" in off:
                gate, up = up, gate
            m = up * act(gate)
        else:
            m = act(linear(h, sd, p + "mlp.gate_proj")) * linear(h, sd, p + "mlp.up_proj")
        m = linear(m, sd, p + "mlp.down_proj")
        if sandwich:
            m = rms_norm(m, sd[p + "post_feedforward_layernorm.weight"], eps, unit)
        x = x + m
    return rms_norm(x, sd["model.norm.weight"], eps, unit)


def greedy(cfg, sd, prompt, n):
    ids = list(prompt)
    for _ in range(n):
        ids.append(int(forward(cfg, sd, ids)[-1].argmax()))
    return ids[len(prompt):]


# ---- tiny checkpoints ---------------------------------------------------------------------------
def make_weights(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    mt = cfg["model_type"]
    gemma = mt in ("gemma2", "gemma3_text")
    nh, nkv, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    H, I, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    rnd = lambda *shape: torch.randn(*shape, generator=g) * 0.2  # noqa: E731
    centre = 0.0 if gemma else 1.0  # Gemma norms are stored zero-centred
    norm = lambda n=H: centre + 0.1 * torch.randn(n, generator=g)  # noqa: E731
    sd = {"model.embed_tokens.weight": rnd(V, H), "model.norm.weight": norm()}
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        if mt == "phi3":
            shapes = {"self_attn.qkv_proj": ((nh + 2 * nkv) * hd, H), "mlp.gate_up_proj": (2 * I, H)}
        else:
            shapes = {"self_attn.q_proj": (nh * hd, H), "self_attn.k_proj": (nkv * hd, H),
                      "self_attn.v_proj": (nkv * hd, H), "mlp.gate_proj": (I, H), "mlp.up_proj": (I, H)}
        shapes.update({"self_attn.o_proj": (H, nh * hd), "mlp.down_proj": (H, I)})
        for name, shape in shapes.items():
            sd[p + name + ".weight"] = rnd(*shape)
        if mt == "qwen2":  # Qwen2Attention: q/k/v bias=True, o_proj none
            for n in ("q_proj", "k_proj", "v_proj"):
                sd[p + f"self_attn.{n}.bias"] = rnd(sd[p + f"self_attn.{n}.weight"].shape[0])
        if mt in ("qwen3", "gemma3_text"):
            sd[p + "self_attn.q_norm.weight"] = norm(hd)
            sd[p + "self_attn.k_norm.weight"] = norm(hd)
        sd[p + "input_layernorm.weight"] = norm()
        sd[p + "post_attention_layernorm.weight"] = norm()
        if gemma:
            sd[p + "pre_feedforward_layernorm.weight"] = norm()
            sd[p + "post_feedforward_layernorm.weight"] = norm()
    if not cfg["tie_word_embeddings"]:
        sd["lm_head.weight"] = rnd(V, H)
    return sd


COMMON = dict(vocab_size=64, hidden_size=32, intermediate_size=64, num_attention_heads=4, num_key_value_heads=2,
              max_position_embeddings=128, bos_token_id=1, eos_token_id=2, torch_dtype="float32",
              initializer_range=0.02)

FAMILIES = {
    # q/k/v biases, sliding window on layers >= max_window_layers, rope_theta 1e6, tied head.
    "qwen2": dict(COMMON, architectures=["Qwen2ForCausalLM"], model_type="qwen2", num_hidden_layers=3, head_dim=8,
                  hidden_act="silu", rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True,
                  use_sliding_window=True, sliding_window=4, max_window_layers=1),
    # q_norm/k_norm before RoPE, explicit head_dim != hidden / heads, untied head.
    "qwen3": dict(COMMON, architectures=["Qwen3ForCausalLM"], model_type="qwen3", num_hidden_layers=2, head_dim=16,
                  hidden_act="silu", rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=False,
                  attention_bias=False, use_sliding_window=False, sliding_window=None, max_window_layers=2),
    # scaled embeddings, (1+w) norms, four norms, GeGLU tanh, query_pre_attn_scalar, both soft-caps,
    # even layers sliding.
    "gemma2": dict(COMMON, architectures=["Gemma2ForCausalLM"], model_type="gemma2", num_hidden_layers=4,
                   head_dim=16, hidden_act="gelu_pytorch_tanh", hidden_activation="gelu_pytorch_tanh",
                   rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=True, query_pre_attn_scalar=24,
                   attn_logit_softcapping=2.0, final_logit_softcapping=3.0, sliding_window=3, pad_token_id=0),
    # q/k norms, local vs global RoPE bases (linear scaling on global only), every 3rd layer global,
    # no soft-caps; untied (a per-checkpoint value) so greedy decoding does not repeat one token.
    "gemma3": dict(COMMON, architectures=["Gemma3ForCausalLM"], model_type="gemma3_text", num_hidden_layers=6,
                   head_dim=16, hidden_activation="gelu_pytorch_tanh", rms_norm_eps=1e-6, rope_theta=1000000.0,
                   rope_local_base_freq=10000.0, rope_scaling={"rope_type": "linear", "factor": 2.0},
                   tie_word_embeddings=False, query_pre_attn_scalar=16, attn_logit_softcapping=None,
                   final_logit_softcapping=None, sliding_window=3, sliding_window_pattern=3, pad_token_id=0),
    # fused qkv_proj / gate_up_proj, partial rotary, LongRoPE (inputs past original_max use long_factor),
    # sliding window on every layer.
    "phi3": dict(COMMON, architectures=["Phi3ForCausalLM"], model_type="phi3", num_hidden_layers=2, head_dim=8,
                 hidden_act="silu", rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False,
                 partial_rotary_factor=0.5, original_max_position_embeddings=10, max_position_embeddings=40,
                 rope_scaling={"type": "longrope", "short_factor": [1.0, 1.5], "long_factor": [3.0, 7.0]},
                 sliding_window=6, pad_token_id=32000 % 64),
}
# YaRN (Qwen2.5/Qwen3 long-context configs): the correction range falls inside the rotary dims, so part of
# the frequencies is interpolated, part extrapolated, part ramped; cos/sin carry the attention factor.
FAMILIES["qwen3_yarn"] = dict(FAMILIES["qwen3"], rope_theta=10000.0, max_position_embeddings=4096, rope_scaling={
    "rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 1024})
# Legacy "type" key, no original_max_position_embeddings (-> max_position_embeddings), explicit betas,
# truncate false, attention factor from mscale / mscale_all_dim (DeepSeek style).
FAMILIES["qwen2_yarn"] = dict(FAMILIES["qwen2"], rope_theta=10000.0, max_position_embeddings=2048, rope_scaling={
    "type": "yarn", "factor": 8.0, "beta_fast": 16, "beta_slow": 2, "truncate": False, "mscale": 1.0,
    "mscale_all_dim": 0.5})

CONTROLS = {
    "qwen2": ["qkv_bias", "sliding_window"],
    "qwen3": ["qk_norm"],
    "gemma2": ["embed_scale", "unit_offset", "sandwich_norms", "gelu_tanh", "query_pre_attn_scalar", "attn_softcap",
               "final_softcap", "sliding_window"],
    "gemma3": ["qk_norm", "local_rope", "sliding_window", "unit_offset"],
    "phi3": ["partial_rotary", "longrope", "gate_up_order", "sliding_window"],
    "qwen3_yarn": ["yarn", "yarn_attention_factor"],
    "qwen2_yarn": ["yarn", "yarn_attention_factor", "sliding_window"],
}
GREEDY_TOKENS = {"phi3": 6}  # 4 + 6 positions stay within original_max: the same factors cached or not


def build(out, name, cfg, seed):
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    sd = make_weights(cfg, seed)
    write_safetensors(os.path.join(folder, "model.safetensors"), sd)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    with torch.no_grad():
        logits = forward(cfg, sd, INPUT_IDS)
        controls = {c: [[float(v) for v in row] for row in forward(cfg, sd, INPUT_IDS, off=(c,))]
                    for c in CONTROLS[name]}
        tokens = greedy(cfg, sd, PROMPT, GREEDY_TOKENS.get(name, 10))
    golden = {"script": "tests/reference/family_reference.py", "input_ids": INPUT_IDS,
              "logits": [[float(v) for v in row] for row in logits], "prompt": PROMPT, "greedy": tokens,
              "controls": controls}
    with open(os.path.join(folder, "golden.json"), "w") as f:
        json.dump(golden, f)
        f.write("\n")


# ---- multimodal Gemma-3 (Gemma3ForConditionalGeneration) ------------------------------------------
# configuration_gemma3.py Gemma3Config: text_config (a Gemma3TextConfig) + vision_config (SiglipVisionConfig)
# + image token ids. modeling_gemma3.py: on text-only input the model is its language model (the scaled
# token embedding, the decoder, the tied or own lm_head): the logits of the text path are the causal LM's.
# Weight names: transformers >= 4.52 saves model.language_model.* / model.vision_tower.* /
# model.multi_modal_projector.* / lm_head.*; older versions (and most Hub checkpoints) language_model.model.*,
# vision_tower.*, multi_modal_projector.*, language_model.lm_head.* (_checkpoint_conversion_mapping).
MULTIMODAL = {
    # older spelling, untied head (language_model.lm_head.weight)
    "gemma3_mm_legacy": dict(layout="legacy", tie=False),
    # current spelling, tied head (no lm_head tensor, as google/gemma-3-4b-it)
    "gemma3_mm": dict(layout="current", tie=True),
}
VISION = dict(model_type="siglip_vision_model", hidden_size=16, intermediate_size=32, num_hidden_layers=1,
              num_attention_heads=2, image_size=8, patch_size=4, num_channels=3, layer_norm_eps=1e-6)


def vision_weights(g, text_hidden, layout):
    """SiglipVisionModel + Gemma3MultiModalProjector tensors (shapes only matter: the text path never reads them)."""
    d, i = VISION["hidden_size"], VISION["intermediate_size"]
    rnd = lambda *shape: torch.randn(*shape, generator=g) * 0.2  # noqa: E731
    v = "vision_tower.vision_model."
    sd = {v + "embeddings.patch_embedding.weight": rnd(d, 3, 4, 4), v + "embeddings.patch_embedding.bias": rnd(d),
          v + "embeddings.position_embedding.weight": rnd(4, d),
          v + "post_layernorm.weight": rnd(d), v + "post_layernorm.bias": rnd(d),
          "multi_modal_projector.mm_input_projection_weight": rnd(d, text_hidden),
          "multi_modal_projector.mm_soft_emb_norm.weight": rnd(d)}
    p = v + "encoder.layers.0."
    for n in ("q_proj", "k_proj", "v_proj", "out_proj"):
        sd[p + f"self_attn.{n}.weight"], sd[p + f"self_attn.{n}.bias"] = rnd(d, d), rnd(d)
    sd[p + "mlp.fc1.weight"], sd[p + "mlp.fc1.bias"] = rnd(i, d), rnd(i)
    sd[p + "mlp.fc2.weight"], sd[p + "mlp.fc2.bias"] = rnd(d, i), rnd(d)
    for n in ("layer_norm1", "layer_norm2"):
        sd[p + f"{n}.weight"], sd[p + f"{n}.bias"] = rnd(d), rnd(d)
    if layout == "current":
        sd = {"model." + k: t for k, t in sd.items()}
    return sd


def spelled(name, layout):
    """A causal-LM tensor name as the multimodal checkpoint spells it."""
    if name.startswith("lm_head."):
        return name if layout == "current" else "language_model." + name
    rest = name[len("model."):]
    return ("model.language_model." if layout == "current" else "language_model.model.") + rest


def multimodal_text_config(spec, causal=True):
    """text_config of the multimodal checkpoint; causal: as the Gemma3ForCausalLM the forward reads."""
    text = {k: v for k, v in FAMILIES["gemma3"].items() if k not in ("architectures", "bos_token_id", "eos_token_id",
                                                                      "pad_token_id", "torch_dtype")}
    text["tie_word_embeddings"] = spec["tie"]
    text["vocab_size"] = 64  # image_token_index < vocab_size, as in the real checkpoints
    return dict(text, architectures=["Gemma3ForCausalLM"]) if causal else text


def build_multimodal(out, name, spec, seed):
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    text = multimodal_text_config(spec, causal=False)
    cfg = {"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3", "boi_token_index": 60,
           "eoi_token_index": 61, "image_token_index": 62, "mm_tokens_per_image": 4, "bos_token_id": 1,
           "eos_token_id": [2, 5], "pad_token_id": 0, "initializer_range": 0.02, "torch_dtype": "float32",
           "text_config": text, "vision_config": VISION}
    causal = dict(text, architectures=["Gemma3ForCausalLM"])
    sd = make_weights(causal, seed)
    g = torch.Generator().manual_seed(seed + 1)
    full = {spelled(k, spec["layout"]): t for k, t in sd.items()}
    full.update(vision_weights(g, text["hidden_size"], spec["layout"]))
    write_safetensors(os.path.join(folder, "model.safetensors"), full)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    with torch.no_grad():
        logits = forward(causal, sd, INPUT_IDS)
        tokens = greedy(causal, sd, PROMPT, 10)
        controls = {"text_only_tied_head": [[float(v) for v in row] for row in forward(
            dict(causal, tie_word_embeddings=not spec["tie"]),
            dict(sd, **{"lm_head.weight": sd["model.embed_tokens.weight"] * 0.5}), INPUT_IDS)]}
    golden = {"script": "tests/reference/family_reference.py", "input_ids": INPUT_IDS,
              "logits": [[float(v) for v in row] for row in logits], "prompt": PROMPT, "greedy": tokens,
              "controls": controls}
    with open(os.path.join(folder, "golden.json"), "w") as f:
        json.dump(golden, f)
        f.write("\n")


# ---- PEFT adapters and the merged model (peft tuners/lora: W' = W + (alpha/r)·B·A; biases untouched) -----
ADAPTED = ("phi3", "qwen2", "gemma3_mm_legacy")  # fused qkv_proj/gate_up_proj; q/k/v biases; multimodal names
LORA_R, LORA_ALPHA = 2, 4


def write_adapter(folder, cfg, sd, seed, peft_prefix):
    """adapter/ beside the checkpoint: every linear of every layer (lora_target_linear), B random (not PEFT's
    zeros) so the merge shows; returns the merged state dict."""
    g = torch.Generator().manual_seed(seed)
    tensors, merged = {}, dict(sd)
    targets = set()
    for name, w in sd.items():
        if not name.startswith("model.layers.") or not name.endswith("_proj.weight"):
            continue
        module = name[:-len(".weight")]
        targets.add(module.rsplit(".", 1)[1])
        a = torch.randn(LORA_R, w.shape[1], generator=g) * 0.3
        b = torch.randn(w.shape[0], LORA_R, generator=g) * 0.3
        key = "base_model.model." + peft_prefix + module[len("model."):]
        tensors[key + ".lora_A.weight"], tensors[key + ".lora_B.weight"] = a, b
        merged[name] = w + (LORA_ALPHA / LORA_R) * (b @ a)
    os.makedirs(os.path.join(folder, "adapter"), exist_ok=True)
    write_safetensors(os.path.join(folder, "adapter", "adapter_model.safetensors"), tensors)
    config = {"base_model_name_or_path": "tiny", "bias": "none", "fan_in_fan_out": False, "lora_alpha": LORA_ALPHA,
              "lora_dropout": 0.0, "modules_to_save": None, "peft_type": "LORA", "r": LORA_R,
              "target_modules": sorted(targets), "task_type": "CAUSAL_LM", "use_dora": False, "use_rslora": False}
    with open(os.path.join(folder, "adapter", "adapter_config.json"), "w") as f:
        f.write(json.dumps(config, indent=2, sort_keys=True))
    return merged


def add_merge_golden(out, name, cfg, sd, seed, peft_prefix):
    folder = os.path.join(out, name)
    merged = write_adapter(folder, cfg, sd, seed, peft_prefix)
    path = os.path.join(folder, "golden.json")
    with open(path) as f:
        golden = json.load(f)
    with torch.no_grad():
        golden["merged_logits"] = [[float(v) for v in row] for row in forward(cfg, merged, INPUT_IDS)]
    with open(path, "w") as f:
        json.dump(golden, f)
        f.write("\n")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: family_reference.py OUT_DIR")
    torch.set_num_threads(1)
    for i, (name, cfg) in enumerate(FAMILIES.items()):
        build(sys.argv[1], name, cfg, 4321 + i)
        if name in ADAPTED:
            add_merge_golden(sys.argv[1], name, cfg, make_weights(cfg, 4321 + i), 6321 + i, "model.")
    for i, (name, spec) in enumerate(MULTIMODAL.items()):
        build_multimodal(sys.argv[1], name, spec, 5321 + i)
        if name in ADAPTED:  # PEFT on current transformers names the text tower model.language_model.*
            causal = multimodal_text_config(spec)
            add_merge_golden(sys.argv[1], name, causal, make_weights(causal, 5321 + i), 7321 + i,
                             "model.language_model.")


if __name__ == "__main__":
    main()
