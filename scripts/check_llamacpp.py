#!/usr/bin/python3
"""Checks that llama.cpp generates what `axolotl inference` generates, per family and prompt (issue 17).

    scripts/check_llamacpp.py --llamacpp /tmp/llcpp/node_modules [--axolotl BIN] [--work DIR]
                              [--families gemma2,qwen3] [--new-tokens N] [--no-reference]

--llamacpp is a node_modules folder holding node-llama-cpp and its prebuilt llama.cpp (installed outside
the repository: `npm install node-llama-cpp @node-llama-cpp/linux-x64 --ignore-scripts`). For each family
it builds the tiny model (create-tiny), exports it as f32 GGUF, greedy-decodes each prompt with
`axolotl inference` (float32; the ids come from its debug log) and with llama.cpp (scripts/llamacpp_greedy.mjs,
the same prompt ids), and, unless --no-reference, with the plain-torch forward of
tests/reference/family_reference.py (written from transformers) on the same safetensors. At the first
step where two disagree it prints the top-2 logit margin of each: a margin near 0 (a near-tie of the random
tiny model) explains a divergence by rounding; a large one is a real difference. Exit 1 when some prompt
diverges with a margin above --tie (default 1e-3) on either side. Tests never need this script.

Scale of the numbers (gemma2 tiny, node-llama-cpp 3.22.1 on CPU): llama.cpp's logits stay within 3.3e-4 of the
f32 reference (its f16 KV cache accounts for part of it), while the random tiny models' top-2 margins go down to
5e-4; `axolotl inference` in bfloat16 (a config's default precision on a CPU) moves logits by ~4e-3, which is
why this script runs it with bf16: false. The tiny gemma3 marks every 2nd layer global while llama.cpp fixes
one global layer in 6 (the export warns): its prompts longer than the 64-token window diverge for real.
"""
import argparse
import json
import os
import re
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# name, create-tiny family, tokenizer folder under --tokenizers. Gemma runs on the Llama-2 sentencepiece
# vocabulary: the shared Gemma tokenizer has no tokenizer.model, which a sentencepiece GGUF needs.
FAMILIES = [("llama", "llama", "llama2"), ("llama3", "llama", "llama3"), ("mistral", "mistral", "llama2"),
            ("qwen2", "qwen2", "qwen3"), ("qwen3", "qwen3", "qwen3"), ("gemma2", "gemma2", "llama2"),
            ("gemma3", "gemma3", "llama2"), ("phi3", "phi3", "llama2")]

STORY = ("The little robot woke up in the quiet workshop and looked around. Tools hung on the walls, and a "
         "lamp blinked above the bench. It remembered nothing of the day before, only a song that the old "
         "maker used to hum while she worked. So the robot hummed it too, softly, and walked to the door to "
         "see whether the snow had stopped falling on the hills beyond the village.")
PROMPTS = [
    "Once upon a time",
    "The quick brown fox jumps over the lazy dog.",
    STORY[:220],  # ~50 tokens: the generation crosses a 64-token sliding window while decoding
    STORY,  # ~90 tokens: the prompt itself crosses it
    STORY + " " + STORY,  # ~180 tokens
]


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"error: {' '.join(cmd[:3])} ... failed (exit {r.returncode}):\n{r.stderr[-2000:]}")
    return r


def axolotl_greedy(axolotl, config, prompts, n):
    cmd = [axolotl, "inference", config, "--temperature", "0", "--max-new-tokens", str(n), "--debug"]
    for p in prompts:
        cmd += ["--prompt", p]
    out = []
    for line in run(cmd).stderr.splitlines():
        m = re.search(r"prompt ids \[([\d,]*)\] generated ids \[([\d,]*)\]", line)
        if m:
            out.append(([int(x) for x in m.group(1).split(",") if x], [int(x) for x in m.group(2).split(",") if x]))
    if len(out) != len(prompts):
        sys.exit(f"error: expected {len(prompts)} 'prompt ids' debug lines from axolotl inference, found {len(out)}")
    return out


def llamacpp_greedy(modules, gguf, requests):
    stdin = "".join(json.dumps(r) + "\n" for r in requests)
    r = run(["node", os.path.join(HERE, "llamacpp_greedy.mjs"), modules, gguf], input=stdin)
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def read_safetensors(path):
    import torch
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", f"{path}: {name}: dtype {t['dtype']}, expected F32 (create-tiny writes f32)"
        b, e = t["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[b:e]), dtype=torch.float32).reshape(t["shape"])
    return out


def reference_model(folder):
    sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
    import family_reference as fr
    cfg = json.load(open(os.path.join(folder, "config.json")))
    cfg.setdefault("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
    cfg.setdefault("tie_word_embeddings", False)
    if cfg.get("layer_types"):  # transformers >= 4.53 spells the pattern out per layer
        types = cfg["layer_types"]
        fr.layer_is_sliding = lambda c, i: c.get("sliding_window") is not None and types[i] == "sliding_attention"
    return fr, cfg, read_safetensors(os.path.join(folder, "model.safetensors"))


def reference_greedy(ref, prompt, n):
    fr, cfg, sd = ref
    import torch
    ids, tops = list(prompt), []
    with torch.no_grad():
        for _ in range(n):
            last = fr.forward(cfg, sd, ids)[-1]
            v, i = last.topk(3)
            tops.append([[int(a), float(b)] for a, b in zip(i, v)])
            ids.append(int(i[0]))
    return ids[len(prompt):], tops


def margin(top):
    return top[0][1] - top[1][1]


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--llamacpp", required=True, help="node_modules folder with node-llama-cpp (prebuilt llama.cpp)")
    ap.add_argument("--axolotl", default=os.path.join(ROOT, "build", "bin", "axolotl"))
    ap.add_argument("--tokenizers", default=os.path.join(ROOT, "..", "shared", "tokenizers"))
    ap.add_argument("--work", default="/tmp/check_llamacpp")
    ap.add_argument("--families", default=",".join(f[0] for f in FAMILIES))
    ap.add_argument("--new-tokens", type=int, default=24)
    ap.add_argument("--tie", type=float, default=1e-3, help="a divergence with a smaller top-2 margin is a near-tie")
    ap.add_argument("--no-reference", action="store_true", help="skip the plain-torch reference (slow on long prompts)")
    a = ap.parse_args()
    wanted = a.families.split(",")
    unknown = set(wanted) - {f[0] for f in FAMILIES}
    if unknown:
        sys.exit(f"error: unknown family {sorted(unknown)} (expected some of {[f[0] for f in FAMILIES]})")
    os.makedirs(a.work, exist_ok=True)
    real = 0
    for name, family, tok in FAMILIES:
        if name not in wanted:
            continue
        folder, config, gguf = (os.path.join(a.work, name), os.path.join(a.work, name + ".yml"),
                                os.path.join(a.work, name + ".gguf"))
        run([a.axolotl, "-q", "create-tiny", "--family", family, "--tokenizer", os.path.join(a.tokenizers, tok),
             "--output", folder, "--force", "--seed", "7"])
        with open(config, "w") as f:
            f.write(f"base_model: {folder}\nbf16: false\n")
        exp = run([a.axolotl, "-q", "export", config, "--format", "gguf", "--quant", "f32", "--output", gguf])
        for w in exp.stderr.strip().splitlines():
            print(f"{name}: export says: {w.strip()}")
        ours = axolotl_greedy(a.axolotl, config, PROMPTS, a.new_tokens)
        theirs = llamacpp_greedy(a.llamacpp, gguf, [{"ids": p, "n": a.new_tokens} for p, _ in ours])
        with open(os.path.join(a.work, name + ".results.json"), "w") as f:
            json.dump({"axolotl": ours, "llamacpp": theirs}, f)
        ref = None if a.no_reference else reference_model(folder)
        for k, ((prompt, our), cpp) in enumerate(zip(ours, theirs)):
            line = f"{name:8s} prompt {k} ({len(prompt):3d} tokens): "
            d = first_diff(our, cpp["tokens"])
            if d is None and len(our) == len(cpp["tokens"]):
                line += f"llama.cpp MATCH ({len(our)} tokens)"
            elif d is None:
                line += f"llama.cpp length differs (ours {len(our)}, llama.cpp {len(cpp['tokens'])}: EOS handling)"
            else:
                m = margin(cpp["top"][d])
                line += (f"llama.cpp DIVERGES at step {d} (ours {our[d]}, llama.cpp {cpp['tokens'][d]}; llama.cpp "
                         f"top-2 margin {m:.2e})")
                real += m > a.tie
            if ref is not None:
                rids, rtop = reference_greedy(ref, prompt, len(our))
                rd = first_diff(our, rids)
                if rd is None:
                    line += "; reference MATCH"
                else:
                    m = margin(rtop[rd])
                    line += f"; reference DIVERGES at step {rd} (reference top-2 margin {m:.2e})"
                    real += m > a.tie
                cd = first_diff(cpp["tokens"], rids)
                if cd is not None:
                    line += (f"; llama.cpp vs reference at step {cd}: margins llama.cpp {margin(cpp['top'][cd]):.2e}, "
                             f"reference {margin(rtop[cd]):.2e}")
            print(line, flush=True)
    if real:
        print(f"{real} divergence(s) with a top-2 margin above {a.tie}: a real difference, not rounding")
    return 1 if real else 0


if __name__ == "__main__":
    sys.exit(main())
