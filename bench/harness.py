#!/usr/bin/env python3
"""Benchmark harness (bench/README.md): training throughput against the eager-PyTorch reference and
the matmul-only ceiling, peak RSS of LoRA-bf16 vs QLoRA training and of a sharded merge, preprocessing
throughput against single-thread sentencepiece, and start-up time. Prints a table with each figure
beside its target (PASS/MISS) and writes the same as JSON. Run with /usr/bin/python3 (torch,
sentencepiece). --smoke runs everything at toy sizes to check the harness, not the targets.
"""
import argparse
import datetime
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED_TOKENIZER = "/work/shared/tokenizers/llama2"
REFERENCE_ENV = {"GLIBC_TUNABLES": "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736",
                 "OMP_WAIT_POLICY": "PASSIVE"}
RUNTIME_VARS = ("GLIBC_TUNABLES", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                "OPENBLAS_NUM_THREADS")


def clean_env(extra=None):
    """The user's environment without the runtime knobs: OUR side must configure itself."""
    env = {k: v for k, v in os.environ.items() if k not in RUNTIME_VARS}
    env.update(extra or {})
    return env


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run_json(cmd, env, timeout):
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def peak_rss_mb(pid):
    """The process's own high-water RSS (VmHWM), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def measure_rss(cmd, env, log_path, timeout):
    """Runs cmd; returns (exit status, wall seconds, peak RSS MB of the child).

    The peak is the child's VmHWM, polled every 20 ms until it exits (the high-water mark only grows,
    so the last reading holds the peak unless it came in the final 20 ms). wait4's ru_maxrss would be
    wrong here: a child forked from this Python process carries the parent's RSS into its maximum."""
    start = time.perf_counter()
    peak = 0.0
    with open(log_path, "w") as f:
        proc = subprocess.Popen(cmd, env=env, stdout=f, stderr=subprocess.STDOUT)
        deadline = start + timeout
        while True:
            hwm = peak_rss_mb(proc.pid)
            pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, hwm or 0.0)
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, _ = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, time.perf_counter() - start, peak


# ---------------------------------------------------------------- 1. training throughput
def training(a, sizes):
    bench = os.path.join(a.bin_dir, "axolotl_bench_lora")
    common = ["--threads", str(a.threads), "--batch", str(sizes["batch"]), "--seq", str(sizes["seq"]),
              "--warmup", str(sizes["warmup"]), "--steps", str(sizes["steps"])]
    shape = ["--dim", str(sizes["dim"]), "--hidden", str(sizes["hidden"]), "--layers", str(sizes["layers"]),
             "--heads", str(sizes["heads"]), "--vocab", str(sizes["vocab"])]
    ref = [sys.executable, os.path.join(HERE, "reference_lora_step.py")] + common + shape
    res = {}
    for dtype in ("fp32", "bf16"):
        # `rounds` rounds of ours, the reference and the ceiling, interleaved; each keeps its best
        # round (highest median-step rate), the same rule for every side, so that a moment of load
        # on this shared machine does not decide a ratio. Every round's rate is kept in the JSON.
        sides = {f"ours_{dtype}": ([bench, "--dtype", dtype] + common + shape, clean_env(), None),
                 f"reference_{dtype}": (ref + ["--modes", dtype], clean_env(REFERENCE_ENV), dtype),
                 f"reference_ceiling_{dtype}": (ref + ["--modes", f"ceiling_{dtype}"], clean_env(REFERENCE_ENV),
                                                f"ceiling_{dtype}")}
        runs = {key: [] for key in sides}
        for i in range(sizes["rounds"]):
            for key, (cmd, env, pick) in sides.items():
                log(f"training {dtype}: {key} (round {i + 1} of {sizes['rounds']})")
                out = run_json(cmd, env, a.timeout)
                runs[key].append(out[pick] if pick else out)
        for key, outs in runs.items():
            res[key] = dict(max(outs, key=lambda r: r["tokens_per_second"]))
            res[key]["rounds_tokens_per_second"] = [r["tokens_per_second"] for r in outs]
        log(f"training {dtype}: ours without the product's runtime settings")
        res[f"ours_{dtype}_default_runtime"] = run_json(sides[f"ours_{dtype}"][0] + ["--no-product-runtime"],
                                                        clean_env(), a.timeout)
    return res


# ---------------------------------------------------------------- shared fixtures
def tokenizer_dir(a, work):
    if not a.smoke and os.path.exists(os.path.join(SHARED_TOKENIZER, "tokenizer.model")):
        return SHARED_TOKENIZER
    out = os.path.join(work, "tiny")
    subprocess.run([os.path.join(a.bin_dir, "axolotl"), "-q", "create-tiny", "--output", out, "--corpus",
                    os.path.join(ROOT, "examples/tiny/corpus.txt")], check=True, env=clean_env(), timeout=a.timeout)
    return out


def write_safetensors_shards(folder, tensors, shard_bytes):
    """HF sharded safetensors (FORMATS.md): model-0000i-of-0000n.safetensors + model.safetensors.index.json."""
    groups, cur, size = [], [], 0
    for name, t in tensors:
        if cur and size + t.numel() * t.element_size() > shard_bytes:
            groups.append(cur)
            cur, size = [], 0
        cur.append((name, t))
        size += t.numel() * t.element_size()
    groups.append(cur)
    weight_map, total = {}, 0
    for i, group in enumerate(groups):
        fname = f"model-{i + 1:05d}-of-{len(groups):05d}.safetensors"
        header, offset, blobs = {}, 0, []
        for name, t in group:
            data = t.contiguous().view(torch.int16 if t.dtype == torch.bfloat16 else t.dtype).numpy().tobytes()
            dtype = {torch.bfloat16: "BF16", torch.float32: "F32"}[t.dtype]
            header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
            offset += len(data)
            blobs.append(data)
            weight_map[name] = fname
        head = json.dumps(header).encode()
        head += b" " * (-len(head) % 8)
        with open(os.path.join(folder, fname), "wb") as f:
            f.write(len(head).to_bytes(8, "little") + head)
            for b in blobs:
                f.write(b)
        total += offset
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f)
    return total, len(groups)


def make_model(folder, dim, hidden, layers, heads, vocab, dtype, shard_bytes, kv_heads=None, rope_theta=10000.0,
               family="llama", head_dim=None):
    """A random LLaMA (or, family "qwen3", a Qwen3: head_dim set apart from hidden / heads, per-head
    q_norm/k_norm) in HF layout (config.json + sharded safetensors); returns (bytes, shards)."""
    os.makedirs(folder, exist_ok=True)
    kv_heads = kv_heads or heads
    head_dim = head_dim or dim // heads
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": dim,
           "intermediate_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
           "num_key_value_heads": kv_heads, "vocab_size": vocab, "max_position_embeddings": 2048,
           "rope_theta": rope_theta,
           "rms_norm_eps": 1e-5, "tie_word_embeddings": True, "bos_token_id": 1, "eos_token_id": 2,
           "torch_dtype": "bfloat16" if dtype == torch.bfloat16 else "float32"}
    if family == "qwen3":  # as Qwen/Qwen3-0.6B's config.json
        cfg.update({"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "head_dim": head_dim,
                    "rms_norm_eps": 1e-6, "attention_bias": False, "use_sliding_window": False,
                    "sliding_window": None, "max_window_layers": layers, "hidden_act": "silu",
                    "bos_token_id": 151643, "eos_token_id": 151645})
    elif family != "llama":
        raise ValueError(f"make_model: unknown family {family}")
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    g = torch.Generator().manual_seed(0)
    pool = (torch.randn(1 << 20, generator=g) * 0.02).to(dtype)  # tiled: drawing 1.2 B normals takes minutes

    def rnd(*shape):
        n = 1
        for d in shape:
            n *= d
        start = int(torch.randint(0, pool.numel(), (1,), generator=g))
        return pool.roll(-start).repeat(n // pool.numel() + 1)[:n].view(*shape).clone()

    tensors = [("model.embed_tokens.weight", rnd(vocab, dim))]
    for i in range(layers):
        p = f"model.layers.{i}."
        tensors += [(p + "input_layernorm.weight", torch.ones(dim, dtype=dtype)),
                    (p + "post_attention_layernorm.weight", torch.ones(dim, dtype=dtype))]
        kv, qd = kv_heads * head_dim, heads * head_dim
        tensors += [(p + "self_attn.q_proj.weight", rnd(qd, dim)), (p + "self_attn.k_proj.weight", rnd(kv, dim)),
                    (p + "self_attn.v_proj.weight", rnd(kv, dim)), (p + "self_attn.o_proj.weight", rnd(dim, qd))]
        if family == "qwen3":
            tensors += [(p + "self_attn.q_norm.weight", torch.ones(head_dim, dtype=dtype)),
                        (p + "self_attn.k_norm.weight", torch.ones(head_dim, dtype=dtype))]
        tensors += [(p + "mlp.gate_proj.weight", rnd(hidden, dim)), (p + "mlp.up_proj.weight", rnd(hidden, dim)),
                    (p + "mlp.down_proj.weight", rnd(dim, hidden))]
    tensors.append(("model.norm.weight", torch.ones(dim, dtype=dtype)))
    return write_safetensors_shards(folder, tensors, shard_bytes)


WORDS = ("the model learns a small task from data quickly while loss falls slowly over many steps and "
         "every token counts toward the rate we report here with care").split()


def make_alpaca(path, rows, seed=0, short=False):
    rng = random.Random(seed)
    n_in, n_out = (0, 10) if short else (30, 60)
    records = []
    with open(path, "w") as f:
        for i in range(rows):
            r = {"instruction": " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 20))).capitalize() + ".",
                 "input": " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, n_in))),
                 "output": " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, n_out))) + f" {i}."}
            records.append(r)
            f.write(json.dumps(r) + "\n")
    return records


def write_config(path, **keys):
    with open(path, "w") as f:
        for k, v in keys.items():
            if k == "datasets":
                f.write(f"datasets:\n  - path: {v}\n    type: alpaca\n")
            elif isinstance(v, list):
                f.write(f"{k}: [{', '.join(v)}]\n")
            else:
                f.write(f"{k}: {json.dumps(v) if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else v}\n")


# ---------------------------------------------------------------- 1b. realistic (1B-shaped) training
def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "rounds": values}


def realistic(a, sizes, work, section="realistic"):
    """A realistic model shape (sizes[section]: the Llama-3.2-1B shape for "realistic", the Qwen3-0.6B
    one for "realistic_qwen3"; random bf16 weights on disk) trained with LoRA r=16 on all seven
    projections, in bf16 and as QLoRA, at 1 x T, 1 x T packed with `real_packed` segments and
    real_packed x T/real_packed unpacked, against the same step in eager PyTorch (bf16 weights,
    autocast) and the bf16 ceiling (the step's matmul FLOPs at the rate of one large square bf16
    product). `real_rounds` interleaved rounds; every round's JSON is kept; figures are medians."""
    z = dict(sizes, **{"real_" + k: v for k, v in sizes[section].items()})
    model_dir = os.path.join(work, f"{section}-model")
    log(f"{section}: writing a random {z['real_name']}-shaped {z['real_dim']}-dim {z['real_layers']}-layer model "
        f"(vocab {z['real_vocab']})")
    start = time.perf_counter()
    model_bytes, shards = make_model(model_dir, z["real_dim"], z["real_hidden"], z["real_layers"], z["real_heads"],
                                     z["real_vocab"], torch.bfloat16, 1_000_000_000, kv_heads=z["real_kv_heads"],
                                     rope_theta=z["real_rope_theta"], family=z["real_family"],
                                     head_dim=z["real_head_dim"])
    write_seconds = time.perf_counter() - start
    t, n = z["real_seq"], z["real_packed"]
    shapes = {"1x%d" % t: (1, t, 1), "1x%d_packed%d" % (t, n): (1, t, n), "%dx%d" % (n, t // n): (n, t // n, 1)}
    single, packed, unpacked = list(shapes)
    bench = os.path.join(a.bin_dir, "axolotl_bench_lora")
    steps = ["--warmup", str(z["real_warmup"]), "--steps", str(z["real_steps"]), "--threads", str(a.threads)]
    lora = ["--rank", "16", "--targets", "all"]

    def ours(shape, qlora=False):
        b, seq, segs = shapes[shape]
        return ([bench, "--model", model_dir, "--dtype", "bf16", "--batch", str(b), "--seq", str(seq),
                 "--packed", str(segs)] + lora + steps + (["--qlora"] if qlora else []), clean_env())

    ref_shape = ["--dim", str(z["real_dim"]), "--hidden", str(z["real_hidden"]), "--layers", str(z["real_layers"]),
                 "--heads", str(z["real_heads"]), "--kv-heads", str(z["real_kv_heads"]), "--vocab", str(z["real_vocab"]),
                 "--head-dim", str(z["real_head_dim"]), "--base-bf16"] + lora + steps + \
        (["--qk-norm"] if z["real_family"] == "qwen3" else [])
    ref_script = [sys.executable, os.path.join(HERE, "reference_lora_step.py")]

    def reference(shape, mode="bf16"):
        b, seq, segs = shapes[shape]
        return (ref_script + ref_shape + ["--batch", str(b), "--seq", str(seq), "--packed", str(segs), "--modes", mode],
                clean_env(REFERENCE_ENV))

    sides = {f"ours_lora_bf16_{k}": ours(k) for k in shapes}
    sides[f"ours_qlora_{single}"] = ours(single, qlora=True)
    sides.update({f"reference_bf16_{k}": reference(k) for k in (single, packed)})
    sides["ceiling_bf16"] = (reference(single, "ceiling_square_bf16")[0] + ["--square-n", str(z["real_square_n"])],
                             clean_env(REFERENCE_ENV))
    runs = {key: [] for key in sides}
    for i in range(z["real_rounds"]):
        for key, (cmd, env) in sides.items():
            log(f"{section}: {key} (round {i + 1} of {z['real_rounds']})")
            out = run_json(cmd, env, a.timeout)
            if key.startswith("reference"):
                out = dict(out["bf16"], peak_rss_mb=out["peak_rss_mb"], matmul_flops_per_step=out["matmul_flops_per_step"])
            elif key.startswith("ceiling"):
                out = dict(out["ceiling_square_bf16"], matmul_flops_per_step=out["matmul_flops_per_step"])
            runs[key].append(out)
        # Each round's raw outputs as soon as the round ends: a long run stopped later keeps them.
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, f"{a.stamp}-{section}-round{i + 1}.json"), "w") as f:
            json.dump({"round": i + 1, "loadavg": os.getloadavg(), "sizes": {k: v for k, v in z.items() if k.startswith("real_")},
                       "outputs": {key: outs[-1] for key, outs in runs.items()}}, f, indent=2)
    res = {"name": z["real_name"], "model_mb": model_bytes / 1e6, "model_shards": shards, "write_seconds": write_seconds, "shapes": shapes,
           "single": single, "packed": packed, "unpacked": unpacked, "rounds_json": runs}
    for key, outs in runs.items():
        res[key] = {"tokens_per_second": spread([o["tokens_per_second"] for o in outs])}
        if "peak_rss_mb" in outs[0]:
            res[key]["peak_rss_mb"] = spread([o["peak_rss_mb"] for o in outs])
        if "step_cpu_seconds" in outs[0]:
            res[key]["step_cpu_seconds"] = spread([o["step_cpu_seconds"] for o in outs])
        if "gflops" in outs[0]:
            res[key]["gflops"] = spread([o["gflops"] for o in outs])
    shutil.rmtree(model_dir, ignore_errors=True)
    return res


# ---------------------------------------------------------------- 2. peak memory
def memory(a, sizes, work, tok):
    axolotl = os.path.join(a.bin_dir, "axolotl")
    model_dir = os.path.join(work, "model")
    log(f"memory: writing a random {sizes['mem_dim']}-dim {sizes['mem_layers']}-layer model")
    model_bytes, shards = make_model(model_dir, sizes["mem_dim"], sizes["mem_hidden"], sizes["mem_layers"],
                                     sizes["mem_heads"], sizes["mem_vocab"], torch.bfloat16, sizes["shard"])
    data = os.path.join(work, "mem.jsonl")
    make_alpaca(data, 64, short=True)
    res = {"model_mb": model_bytes / 1e6, "model_shards": shards, "shard_mb": sizes["shard"] / 1e6}
    base = dict(base_model=model_dir, tokenizer_config=tok, datasets=data, sequence_len=sizes["mem_seq"],
                micro_batch_size=1, gradient_accumulation_steps=1, max_steps=2, val_set_size=0,
                lora_r=8, lora_alpha=16, lora_target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
                bf16=True, threads=a.threads, learning_rate=1e-4)
    for name, extra in (("lora_bf16", dict(adapter="lora")), ("qlora", dict(adapter="qlora", load_in_4bit=True))):
        cfg = os.path.join(work, f"{name}.yml")
        write_config(cfg, **base, **extra, output_dir=os.path.join(work, f"out-{name}"),
                     dataset_prepared_path=os.path.join(work, f"prep-{name}"))
        log(f"memory: axolotl train ({name})")
        rc, wall, rss = measure_rss([axolotl, "train", cfg], clean_env(), os.path.join(work, f"{name}.log"), a.timeout)
        if rc != 0:
            raise RuntimeError(f"axolotl train {name} failed ({rc}); see {work}/{name}.log:\n" +
                               open(os.path.join(work, f"{name}.log")).read()[-3000:])
        res[f"train_{name}"] = {"peak_rss_mb": rss, "wall_seconds": wall}
    cfg = os.path.join(work, "merge.yml")
    write_config(cfg, **base, adapter="lora", lora_model_dir=os.path.join(work, "out-lora_bf16"),
                 output_dir=os.path.join(work, "out-merge-unused"))
    log("memory: axolotl merge")
    rc, wall, rss = measure_rss([axolotl, "merge", cfg, "--output", os.path.join(work, "merged"),
                                 "--max-shard-size", str(sizes["shard"])], clean_env(),
                                os.path.join(work, "merge.log"), a.timeout)
    if rc != 0:
        raise RuntimeError(f"axolotl merge failed ({rc}):\n" + open(os.path.join(work, "merge.log")).read()[-3000:])
    res["merge"] = {"peak_rss_mb": rss, "wall_seconds": wall}
    shutil.rmtree(os.path.join(work, "merged"), ignore_errors=True)
    shutil.rmtree(model_dir, ignore_errors=True)
    return res


# ---------------------------------------------------------------- 3. preprocessing
SYSTEM = ("Below is an instruction that describes a task, paired with an input that provides further context. "
          "Write a response that appropriately completes the request.")
SYSTEM_NO_INPUT = ("Below is an instruction that describes a task. "
                   "Write a response that appropriately completes the request.")


def alpaca_texts(records):
    """The prompt and response strings the alpaca format encodes (data/row_encoder.cpp)."""
    for r in records:
        if r["input"]:
            yield f"{SYSTEM}\n\n### Instruction:\n{r['instruction']}\n\n### Input:\n{r['input']}\n\n### Response:\n"
        else:
            yield f"{SYSTEM_NO_INPUT}\n\n### Instruction:\n{r['instruction']}\n\n### Response:\n"
        yield r["output"]


def preprocessing(a, sizes, work, tok):
    import sentencepiece as spm
    data = os.path.join(work, "pre.jsonl")
    records = make_alpaca(data, sizes["pre_rows"], seed=1)
    sp = spm.SentencePieceProcessor(model_file=os.path.join(tok, "tokenizer.model"))
    texts = list(alpaca_texts(records))
    start = time.perf_counter()
    n = sum(len(ids) for ids in (sp.encode(t) for t in texts))  # one thread: the python binding
    spm_seconds = time.perf_counter() - start
    cfg = os.path.join(work, "pre.yml")
    walls, tokens = [], 0
    for i in range(sizes["pre_runs"]):
        prep = os.path.join(work, f"prep-pre-{i}")  # a fresh cache folder: never reuse
        write_config(cfg, base_model=os.path.join(work, "no-model"), tokenizer_config=tok, datasets=data,
                     sequence_len=2048, dataset_prepared_path=prep, val_set_size=0, dataset_processes=a.threads)
        log(f"preprocessing: axolotl preprocess run {i + 1}")
        start = time.perf_counter()
        subprocess.run([os.path.join(a.bin_dir, "axolotl"), "-q", "preprocess", cfg], check=True, env=clean_env(),
                       capture_output=True, timeout=a.timeout)
        walls.append(time.perf_counter() - start)
        stats = [os.path.join(prep, d, "stats.json") for d in os.listdir(prep)]
        tokens = json.load(open(stats[0]))["tokens"]
        shutil.rmtree(prep)
    wall = statistics.median(walls)
    return {"rows": len(records), "threads": a.threads, "tokens": tokens, "wall_seconds": wall,
            "tokens_per_second": tokens / wall, "spm_tokens": n, "spm_seconds": spm_seconds,
            "spm_tokens_per_second_1thread": n / spm_seconds}


# ---------------------------------------------------------------- 3b. tokenizer.json encode rate
SHARED_LLAMA3 = "/work/shared/tokenizers/llama3"


def tokenizer_rates(a, sizes, work, tok):
    """One-thread encode rate of `axolotl tokenize --lines` on English prose: the tokenizer.json backend on the
    Llama-3 tokenizer vs the sentencepiece backend on the Llama-2 one; load time is measured on empty
    input and taken off. None when the shared tokenizers are absent."""
    llama2 = SHARED_TOKENIZER if os.path.exists(os.path.join(SHARED_TOKENIZER, "tokenizer.model")) else None
    if not llama2 or not os.path.exists(os.path.join(SHARED_LLAMA3, "tokenizer.json")):
        return None
    prose = open(os.path.join(ROOT, "examples", "tiny", "corpus.txt"), encoding="utf-8").read()
    text = prose * sizes["tok_repeat"]
    axolotl = os.path.join(a.bin_dir, "axolotl")

    def timed(folder, data):
        times, count = [], 0
        for _ in range(sizes["tok_runs"]):
            start = time.perf_counter()
            out = subprocess.run([axolotl, "-q", "tokenize", "--tokenizer", folder, "--count", "--lines", "--no-special"],
                                 input=data.encode(), env=clean_env(), capture_output=True, check=True,
                                 timeout=a.timeout)
            times.append(time.perf_counter() - start)
            count = int(out.stdout)
        return statistics.median(times), count

    res = {}
    for name, folder in (("json_llama3", SHARED_LLAMA3), ("spm_llama2", llama2)):
        log(f"tokenizer: {name}")
        load, _ = timed(folder, "")
        full, n = timed(folder, text)
        res[name] = {"tokens": n, "load_seconds": load, "encode_seconds": max(full - load, 1e-9),
                     "tokens_per_second": n / max(full - load, 1e-9)}
    return res


# ---------------------------------------------------------------- 3c. preprocessing scaling (Llama-3)
def preprocess_scaling(a, sizes, work, tok):
    """Wall time of `axolotl preprocess` on alpaca rows with the Llama-3 tokenizer.json at dataset_processes
    1 and 2 (the median of pre_runs fresh runs each; start-up included). None without the shared tokenizer."""
    if not os.path.exists(os.path.join(SHARED_LLAMA3, "tokenizer.json")):
        return None
    data = os.path.join(work, "scale.jsonl")
    records = make_alpaca(data, sizes["pre_rows"], seed=2)
    cfg = os.path.join(work, "scale.yml")
    walls, tokens = {}, 0
    for procs in (1, 2):
        times = []
        for i in range(sizes["pre_runs"]):
            prep = os.path.join(work, f"prep-scale-{procs}-{i}")
            write_config(cfg, base_model=os.path.join(work, "no-model"), tokenizer_config=SHARED_LLAMA3, datasets=data,
                         sequence_len=2048, dataset_prepared_path=prep, val_set_size=0, dataset_processes=procs)
            log(f"preprocess scaling: dataset_processes {procs}, run {i + 1}")
            start = time.perf_counter()
            subprocess.run([os.path.join(a.bin_dir, "axolotl"), "-q", "preprocess", cfg], check=True,
                           env=clean_env(), capture_output=True, timeout=a.timeout)
            times.append(time.perf_counter() - start)
            stats = [os.path.join(prep, d, "stats.json") for d in os.listdir(prep)]
            tokens = json.load(open(stats[0]))["tokens"]
            shutil.rmtree(prep)
        walls[str(procs)] = statistics.median(times)
    return {"rows": len(records), "tokens": tokens, "wall_seconds": walls,
            "tokens_per_second": {k: tokens / v for k, v in walls.items()}, "speedup_2_over_1": walls["1"] / walls["2"]}


# ---------------------------------------------------------------- 4. start-up
def startup(a, sizes, work, tok):
    axolotl = os.path.join(a.bin_dir, "axolotl")
    cfg = os.path.join(work, "validate.yml")
    data = os.path.join(work, "val.jsonl")
    make_alpaca(data, 4)
    write_config(cfg, base_model=os.path.join(work, "no-model"), tokenizer_config=tok, datasets=data,
                 adapter="lora", lora_r=8, lora_alpha=16, sequence_len=256, output_dir=os.path.join(work, "o"))
    res = {}
    for name, cmd in (("help", [axolotl, "--help"]), ("validate", [axolotl, "validate", cfg])):
        times = []
        for _ in range(sizes["startup_runs"]):
            start = time.perf_counter()
            out = subprocess.run(cmd, env=clean_env(), capture_output=True, timeout=60)
            times.append(time.perf_counter() - start)
            if out.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr.decode()[-2000:]}")
        res[name] = {"median_seconds": statistics.median(times), "runs": times}
    return res


# ---------------------------------------------------------------- report
def realistic_verdicts(z, tag):
    """The realistic section's rows for one model shape (tag: "real" for Llama-3.2-1B, "qwen3")."""
    rows = []
    tps = lambda key: z[key]["tokens_per_second"]["median"]  # noqa: E731
    one, pk, up = z["single"], z["packed"], z["unpacked"]
    x = tps(f"ours_lora_bf16_{one}") / tps(f"reference_bf16_{one}")
    rows.append((f"{tag} {one} LoRA-bf16: ours / reference", x, ">= 1.30x", x >= 1.3))
    x = tps(f"ours_lora_bf16_{one}") / tps("ceiling_bf16")
    rows.append((f"{tag} {one} LoRA-bf16: ours / bf16 ceiling", x, "(report)", None))
    x = tps(f"ours_qlora_{one}") / tps(f"ours_lora_bf16_{one}")
    rows.append((f"{tag} {one}: QLoRA / LoRA-bf16 speed", x, ">= 0.80x", x >= 0.8))
    x = z[f"ours_qlora_{one}"]["peak_rss_mb"]["median"] / z[f"ours_lora_bf16_{one}"]["peak_rss_mb"]["median"]
    rows.append((f"{tag} {one}: QLoRA / LoRA-bf16 peak RSS", x, "<= 0.40x", x <= 0.4))
    x = tps(f"ours_lora_bf16_{up}") / tps(f"ours_lora_bf16_{pk}")
    rows.append((f"{tag} packed cost: {pk} / {up} (time)", x, "<= 1.10x", x <= 1.1))
    cpu = lambda key: z[key]["step_cpu_seconds"]["median"]  # noqa: E731
    x = cpu(f"ours_lora_bf16_{pk}") / cpu(f"ours_lora_bf16_{up}")
    rows.append((f"{tag} packed cost: {pk} / {up} (CPU time)", x, "(report)", None))
    return rows


def verdicts(r):
    """(label, value, target text, pass?) rows; missing sections give no rows."""
    rows = []
    t = r.get("training")
    if t:
        for dt, ref_target, ceil_target in (("fp32", 1.3, 0.8), ("bf16", 1.2, 0.6)):
            ours = t[f"ours_{dt}"]["tokens_per_second"]
            ref = t[f"reference_{dt}"]["tokens_per_second"]
            ceil = t[f"reference_ceiling_{dt}"]["tokens_per_second"]
            rows.append((f"train {dt}: ours / reference", ours / ref, f">= {ref_target:.2f}x", ours / ref >= ref_target))
            rows.append((f"train {dt}: ours / matmul ceiling", ours / ceil, f">= {ceil_target:.2f}", ours / ceil >= ceil_target))
    for section, tag in REALISTIC_SECTIONS.items():
        z = r.get(section)
        if z:
            rows += realistic_verdicts(z, tag)
    m = r.get("memory")
    if m:
        q = m["train_qlora"]["peak_rss_mb"] / m["train_lora_bf16"]["peak_rss_mb"]
        rows.append(("peak RSS: QLoRA / LoRA-bf16", q, "<= 0.50x", q <= 0.5))
        mm = m["merge"]["peak_rss_mb"] / m["model_mb"]
        rows.append(("peak RSS: merge / model size", mm, "(report)", None))
    p = r.get("preprocessing")
    if p:
        floor = 0.8 * p["threads"] * p["spm_tokens_per_second_1thread"]
        x = p["tokens_per_second"] / (p["threads"] * p["spm_tokens_per_second_1thread"])
        rows.append((f"preprocess / ({p['threads']} thr x 1-thr spm)", x, ">= 0.80", p["tokens_per_second"] >= floor))
    k = r.get("tokenizer_rates")
    if k:
        x = k["json_llama3"]["tokens_per_second"] / k["spm_llama2"]["tokens_per_second"]
        rows.append(("encode 1 thr: tokenizer.json llama3 / spm llama2", x, ">= 1.00", x >= 1.0))
    q = r.get("preprocess_scaling")
    if q:
        rows.append(("preprocess llama3: 2 procs / 1 proc speed-up", q["speedup_2_over_1"], ">= 1.50",
                     q["speedup_2_over_1"] >= 1.5))
    s = r.get("startup")
    if s:
        for name in ("validate", "help"):
            v = s[name]["median_seconds"] * 1000
            rows.append((f"start-up: axolotl {'--help' if name == 'help' else name} (ms)", v, "<= 100", v <= 100))
    return rows


def table(r):
    lines = [f"{'figure':46} {'value':>10}  {'target':>9}  result", "-" * 78]
    for label, value, target, ok in verdicts(r):
        lines.append(f"{label:46} {value:10.3f}  {target:>9}  {'-' if ok is None else 'PASS' if ok else 'MISS'}")
    t = r.get("training")
    if t:
        lines.append("")
        lines.append(f"{'tokens/s (threads ' + str(r['threads']) + ')':46} {'fp32':>10}  {'bf16':>9}")
        for key, name in (("ours", "ours (product runtime)"), ("ours_%s_default_runtime", "ours (no runtime settings)"),
                          ("reference", "reference (eager PyTorch, tuned env)"),
                          ("reference_ceiling", "matmul-only ceiling (PyTorch)")):
            vals = [t[key % d if "%" in key else f"{key}_{d}"]["tokens_per_second"] for d in ("fp32", "bf16")]
            lines.append(f"{name:46} {vals[0]:10.0f}  {vals[1]:9.0f}")
    for section in REALISTIC_SECTIONS:
        z = r.get(section)
        if not z:
            continue
        lines.append("")
        lines.append(f"{section} ({z['name']} shape, {z['model_mb']:.1f} MB bf16 model): tokens/s median [min-max] "
                     f"over {len(z['rounds_json'][next(iter(z['rounds_json']))])} rounds, peak RSS MB median")
        for key in z["rounds_json"]:
            t_ = z[key]["tokens_per_second"]
            rss = z[key].get("peak_rss_mb")
            extra = f"  rss {rss['median']:.0f}" if rss else ""
            if "gflops" in z[key]:
                extra = f"  ({z[key]['gflops']['median']:.0f} GFLOP/s square bf16)"
            lines.append(f"  {key:44} {t_['median']:9.1f} [{t_['min']:.1f}-{t_['max']:.1f}]{extra}")
    m = r.get("memory")
    if m:
        lines.append("")
        lines.append(f"model {m['model_mb']:.1f} MB bf16 in {m['model_shards']} shards of <= {m['shard_mb']:.2f} MB; "
                     f"peak RSS MB: LoRA-bf16 {m['train_lora_bf16']['peak_rss_mb']:.0f}, "
                     f"QLoRA {m['train_qlora']['peak_rss_mb']:.0f}, merge {m['merge']['peak_rss_mb']:.0f}")
    p = r.get("preprocessing")
    if p:
        lines.append(f"preprocess: {p['tokens_per_second']:.0f} tokens/s on {p['threads']} threads "
                     f"({p['tokens']} tokens, {p['wall_seconds']:.2f} s wall incl. start-up); "
                     f"sentencepiece 1 thread: {p['spm_tokens_per_second_1thread']:.0f} tokens/s")
    k = r.get("tokenizer_rates")
    if k:
        lines.append(f"encode, 1 thread: tokenizer.json (llama3) {k['json_llama3']['tokens_per_second']:.0f} tokens/s, "
                     f"sentencepiece (llama2) {k['spm_llama2']['tokens_per_second']:.0f} tokens/s "
                     f"(load {k['json_llama3']['load_seconds']:.2f} s / {k['spm_llama2']['load_seconds']:.2f} s)")
    q = r.get("preprocess_scaling")
    if q:
        lines.append(f"preprocess llama3 ({q['rows']} rows, {q['tokens']} tokens): "
                     f"{q['wall_seconds']['1']:.2f} s at dataset_processes 1, {q['wall_seconds']['2']:.2f} s at 2")
    return "\n".join(lines)


# The realistic sections, each a model shape (HF config.json of meta-llama/Llama-3.2-1B and Qwen/Qwen3-0.6B),
# and the tag of their table rows; the smoke run keeps each family's traits at toy size.
REALISTIC_SECTIONS = {"realistic": "real", "realistic_qwen3": "qwen3"}
LLAMA_1B = dict(name="Llama-3.2-1B", family="llama", dim=2048, hidden=8192, layers=16, heads=32, kv_heads=8,
                head_dim=64, vocab=128256, rope_theta=500000.0)
QWEN3_06B = dict(name="Qwen3-0.6B", family="qwen3", dim=1024, hidden=3072, layers=28, heads=16, kv_heads=8,
                 head_dim=128, vocab=151936, rope_theta=1000000.0)
REALISTIC = dict(realistic=LLAMA_1B, realistic_qwen3=QWEN3_06B,
                 real_seq=1024, real_packed=4, real_warmup=1, real_steps=2, real_rounds=3, real_square_n=4096)
REALISTIC_SMOKE = dict(realistic=dict(LLAMA_1B, dim=64, hidden=128, layers=2, heads=4, kv_heads=2, head_dim=16, vocab=512),
                       realistic_qwen3=dict(QWEN3_06B, dim=64, hidden=96, layers=2, heads=4, kv_heads=2, head_dim=32,
                                            vocab=512),
                       real_seq=64, real_packed=4, real_warmup=1, real_steps=1, real_rounds=1,
                       real_square_n=512)
FULL = dict(batch=4, seq=256, dim=288, hidden=768, layers=6, heads=6, vocab=32000, warmup=2, steps=8, rounds=2,
            mem_dim=2048, mem_hidden=5632, mem_layers=16, mem_heads=16, mem_vocab=32000, mem_seq=256,
            shard=200_000_000, pre_rows=20000, pre_runs=3, startup_runs=7, tok_repeat=20, tok_runs=3)
SMOKE = dict(batch=1, seq=16, dim=32, hidden=64, layers=1, heads=2, vocab=256, warmup=1, steps=1, rounds=1,
             mem_dim=64, mem_hidden=128, mem_layers=2, mem_heads=4, mem_vocab=None, mem_seq=512,
             shard=40_000, pre_rows=200, pre_runs=1, startup_runs=2, tok_repeat=2, tok_runs=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-dir", default=os.path.join(ROOT, "build", "bin"),
                        help="folder with axolotl and axolotl_bench_lora")
    parser.add_argument("--out", default=os.path.join(HERE, "results"), help="folder for <timestamp>.json")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--sections",
                        default="training,realistic,realistic_qwen3,memory,preprocessing,tokenizer_rates,"
                                "preprocess_scaling,startup")
    parser.add_argument("--smoke", action="store_true", help="toy sizes: checks the harness, not the targets")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per child process")
    parser.add_argument("--realistic-rounds", type=int, default=0, help="rounds of the realistic section (default 3)")
    a = parser.parse_args()
    sizes = dict(SMOKE if a.smoke else FULL, **(REALISTIC_SMOKE if a.smoke else REALISTIC))
    if a.realistic_rounds:
        sizes["real_rounds"] = a.realistic_rounds
    sections = a.sections.split(",")
    result = {"timestamp": datetime.datetime.now().isoformat(timespec="seconds"), "smoke": a.smoke,
              "threads": a.threads, "torch": torch.__version__, "sizes": sizes,
              "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), ""),
              "loadavg_start": os.getloadavg()[0]}
    a.stamp = result["timestamp"].replace(":", "")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="axolotl-bench-") as work:
        tok = tokenizer_dir(a, work) if set(sections) & {"memory", "preprocessing", "startup"} else None
        if tok and sizes["mem_vocab"] is None:
            import sentencepiece as spm
            sizes["mem_vocab"] = spm.SentencePieceProcessor(model_file=os.path.join(tok, "tokenizer.model")).vocab_size()
        result["tokenizer"] = tok
        for name, fn in (("training", training), ("realistic", realistic), ("realistic_qwen3", realistic),
                         ("memory", memory), ("preprocessing", preprocessing), ("tokenizer_rates", tokenizer_rates),
                         ("preprocess_scaling", preprocess_scaling), ("startup", startup)):
            if name in sections:
                result[name] = (fn(a, sizes) if name == "training" else fn(a, sizes, work, name) if fn is realistic
                                else fn(a, sizes, work, tok))
                log(f"{name}: done at {time.perf_counter() - start:.0f} s")
    result["seconds"] = time.perf_counter() - start
    result["loadavg_end"] = os.getloadavg()[0]
    result["verdicts"] = [{"figure": l, "value": v, "target": t, "pass": ok} for l, v, t, ok in verdicts(result)]
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, result["timestamp"].replace(":", "") + ".json")
    with open(path + ".tmp", "w") as f:
        json.dump(result, f, indent=2)
    os.replace(path + ".tmp", path)
    print(table(result))
    print(f"\n{result['seconds']:.0f} s; load average {result['loadavg_start']:.2f} -> {result['loadavg_end']:.2f}; "
          f"results: {path}")
    if a.smoke:  # the harness works: every figure present and finite
        missing = [v["figure"] for v in result["verdicts"] if not (v["value"] == v["value"] and v["value"] >= 0)]
        expected = 4 * ("training" in sections) + 6 * sum(s in sections for s in REALISTIC_SECTIONS) + \
            2 * ("memory" in sections) + ("preprocessing" in sections) + \
            2 * ("startup" in sections) + (result.get("tokenizer_rates") is not None) + \
            (result.get("preprocess_scaling") is not None)
        if missing or len(result["verdicts"]) != expected:
            print(f"smoke: bad or missing figures {missing} ({len(result['verdicts'])} of {expected})", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
