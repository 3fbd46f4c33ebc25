#!/usr/bin/env python3
"""Eager-PyTorch reference for the benchmark harness: one LoRA training step of a ~15M LLaMA.

Same model and step as the C++ benchmark (HF LLaMA semantics, FORMATS.md §2.3; PEFT LoRA, §3.4):
dim 288, hidden 768, 6 layers, 6 heads, vocab 32000, tied embeddings, batch 4 x 256, LoRA r=8
alpha=16 on q,k,v,o, AdamW on the LoRA parameters. Prints one JSON object with median tokens/s of
the step in fp32 and in bf16 (torch.autocast), and the matmul-only ceiling: the time of just the
step's matmuls (forward and backward shapes) in the same dtype. The step is the trainer's: mean CE
over the T-1 predicted positions, backward, gradient clipping at 1.0, AdamW (lr 2e-4). Shapes can be
changed (--dim ... --kv-heads, --head-dim, --rank, --targets all) for the harness's realistic section
(a Llama-3.2-1B and a Qwen3-0.6B shape) and its smoke test; --qk-norm adds Qwen3's per-head RMSNorm
of q and k before RoPE (HF modeling_qwen3.py Qwen3Attention q_norm/k_norm); --packed N splits each row into N segments under HF's 4D block-diagonal mask
(eager attention over the full masked row, positions restarting per segment); --base-bf16 stores the
frozen base weights in bf16 (as `torch_dtype: bfloat16` loads them; LoRA factors stay fp32) instead of
fp32 under autocast. Mode ceiling_square_bf16 times one large square bf16 product (GFLOP/s); every
result carries the step's matmul FLOPs, so the caller can turn that rate into a tokens/s ceiling.
Run with /usr/bin/python3 (torch).
"""
import argparse
import json
import math
import os
import statistics
import time

import torch
import torch.nn.functional as F

DIM, HIDDEN, LAYERS, HEADS, VOCAB = 288, 768, 6, 6, 32000
KV_HEADS = HEADS
HEAD_DIM = DIM // HEADS
QK_NORM = False  # Qwen3: RMSNorm over head_dim of q and k, before RoPE
RANK, ALPHA = 8, 16.0
TARGETS = "qkvo"  # or "all": the seven projections
BASE_DTYPE = torch.float32
CPU_SECONDS = []  # median step CPU time of each time_steps call


def frozen(*shape):
    return torch.nn.Parameter(torch.empty(*shape, dtype=BASE_DTYPE).normal_(0.0, 0.02), requires_grad=False)


class Dense(torch.nn.Module):
    def __init__(self, fan_in, fan_out):
        super().__init__()
        self.weight = frozen(fan_out, fan_in)

    def forward(self, x):
        return F.linear(x, self.weight)


class LoraLinear(torch.nn.Module):
    def __init__(self, fan_in, fan_out):
        super().__init__()
        self.weight = frozen(fan_out, fan_in)
        bound = 1.0 / math.sqrt(fan_in)
        self.lora_A = torch.nn.Parameter(torch.empty(RANK, fan_in).uniform_(-bound, bound))
        self.lora_B = torch.nn.Parameter(torch.zeros(fan_out, RANK))
        self.scaling = ALPHA / RANK

    def forward(self, x):
        return F.linear(x, self.weight) + F.linear(F.linear(x, self.lora_A), self.lora_B) * self.scaling


def rms_norm(x, weight, eps=1e-5):
    dtype = x.dtype
    x32 = x.float()
    x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps)
    return weight * x32.to(dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def repeat_kv(x):
    b, nkv, t, hd = x.shape
    n_rep = HEADS // KV_HEADS
    return x if n_rep == 1 else x[:, :, None].expand(b, nkv, n_rep, t, hd).reshape(b, HEADS, t, hd)


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        kv = KV_HEADS * HEAD_DIM
        mlp = LoraLinear if TARGETS == "all" else Dense
        qd = HEADS * HEAD_DIM  # Qwen3-0.6B: 16 x 128 = 2048 != hidden 1024
        self.q, self.k, self.v, self.o = (LoraLinear(DIM, qd), LoraLinear(DIM, kv), LoraLinear(DIM, kv),
                                          LoraLinear(qd, DIM))
        if QK_NORM:
            self.q_norm = torch.nn.Parameter(torch.ones(HEAD_DIM, dtype=BASE_DTYPE), requires_grad=False)
            self.k_norm = torch.nn.Parameter(torch.ones(HEAD_DIM, dtype=BASE_DTYPE), requires_grad=False)
        self.gate, self.up, self.down = mlp(DIM, HIDDEN), mlp(DIM, HIDDEN), mlp(HIDDEN, DIM)
        self.norm1 = torch.nn.Parameter(torch.ones(DIM, dtype=BASE_DTYPE), requires_grad=False)
        self.norm2 = torch.nn.Parameter(torch.ones(DIM, dtype=BASE_DTYPE), requires_grad=False)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        h = rms_norm(x, self.norm1)
        q = self.q(h).view(b, t, HEADS, HEAD_DIM)  # (B, T, H, hd)
        k = self.k(h).view(b, t, KV_HEADS, HEAD_DIM)
        if QK_NORM:  # Qwen3Attention: q_norm(q_proj(x).view(...)) before the transpose and RoPE
            q, k = rms_norm(q, self.q_norm, 1e-6), rms_norm(k, self.k_norm, 1e-6)
        q, k = q.transpose(1, 2), k.transpose(1, 2)  # (B, H, T, hd)
        v = self.v(h).view(b, t, KV_HEADS, HEAD_DIM).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = repeat_kv(k * cos + rotate_half(k) * sin)
        v = repeat_kv(v)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(HEAD_DIM) + mask  # (B, H, T, T)
        probs = torch.softmax(scores.float(), dim=-1).to(q.dtype)
        att = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, HEADS * HEAD_DIM)
        x = x + self.o(att)
        h = rms_norm(x, self.norm2)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = frozen(VOCAB, DIM)
        self.layers = torch.nn.ModuleList(Layer() for _ in range(LAYERS))
        self.norm = torch.nn.Parameter(torch.ones(DIM, dtype=BASE_DTYPE), requires_grad=False)

    def forward(self, ids, labels, packed=1):
        b, t = ids.shape
        x = F.embedding(ids, self.embed)
        seg = torch.arange(t) // (t // packed)  # (T): segment of each position
        pos = torch.arange(t) - seg * (t // packed)  # positions restart per segment
        inv_freq = 1.0 / (10000.0 ** (torch.arange(0, HEAD_DIM, 2, dtype=torch.int64).float() / HEAD_DIM))
        freqs = pos.float()[:, None] * inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        allowed = torch.ones(t, t, dtype=torch.bool).tril() & (seg[:, None] == seg[None, :])  # (T, T)
        mask = torch.zeros(t, t).masked_fill(~allowed, torch.finfo(x.dtype).min).to(x.dtype)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        logits = F.linear(rms_norm(x[:, :-1], self.norm), self.embed).float()  # (B, T-1, V), as ours
        return F.cross_entropy(logits.reshape(-1, VOCAB), labels[:, 1:].reshape(-1))


def time_steps(fn, warmup, steps):
    for _ in range(warmup):
        fn()
    times, cpu = [], []
    for _ in range(steps):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CPU_SECONDS.append(statistics.median(cpu))  # process CPU time: less moved by others' load
    return statistics.median(times)


def train_step_seconds(batch, seq, bf16, warmup, steps, packed=1):
    torch.manual_seed(0)
    model = Model()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=2e-4, weight_decay=0.0)  # HF Trainer / our config defaults
    ids = torch.randint(0, VOCAB, (batch, seq))

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(ids, ids, packed)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)  # max_grad_norm default
        opt.step()
        opt.zero_grad(set_to_none=True)

    return time_steps(step, warmup, steps)


def matmul_shapes(batch, seq):
    """(count, m, k, n) of every matmul in one step: forward, and backward (input grads; weight
    grads only where the weight trains: the LoRA factors). count > 1 is one batched matmul. Layer 0's
    q, k, v input comes from the frozen embedding, so autograd skips its gradient there."""
    n_tok = batch * seq
    bh = batch * HEADS
    kv = KV_HEADS * HEAD_DIM
    qd = HEADS * HEAD_DIM
    shapes = []

    def lora(fan_in, fan_out):
        return [(1, n_tok, fan_in, RANK), (1, n_tok, RANK, fan_out),  # forward x A^T, (.) B^T
                (1, n_tok, fan_out, RANK),                            # grad of (x A^T)
                (1, RANK, n_tok, fan_in), (1, fan_out, n_tok, RANK)]  # grad A, B

    for layer in range(LAYERS):
        for proj, (fan_in, fan_out) in enumerate(((DIM, qd), (DIM, kv), (DIM, kv), (qd, DIM))):  # q k v o
            shapes += [(1, n_tok, fan_in, fan_out)] + lora(fan_in, fan_out)                  # forward, LoRA
            if layer > 0 or proj == 3:
                shapes += [(1, n_tok, fan_out, fan_in), (1, n_tok, RANK, fan_in)]            # grad input
        shapes += [(bh, seq, HEAD_DIM, seq), (bh, seq, seq, HEAD_DIM)]                       # QK^T, PV
        shapes += [(bh, seq, HEAD_DIM, seq), (bh, seq, seq, HEAD_DIM)] + [(bh, seq, seq, HEAD_DIM)] * 2
        shapes += [(1, n_tok, DIM, HIDDEN)] * 2 + [(1, n_tok, HIDDEN, DIM)]                  # gate up down
        shapes += [(1, n_tok, HIDDEN, DIM)] * 2 + [(1, n_tok, DIM, HIDDEN)]                  # grad input
        if TARGETS == "all":
            shapes += lora(DIM, HIDDEN) * 2 + lora(HIDDEN, DIM)
            shapes += [(1, n_tok, RANK, DIM)] * 2 + [(1, n_tok, RANK, HIDDEN)]               # grad input via A
    n_pred = batch * (seq - 1)
    shapes += [(1, n_pred, DIM, VOCAB), (1, n_pred, VOCAB, DIM)]                             # lm_head
    return shapes


def matmul_flops(batch, seq):
    return sum(2 * count * m * k * n for count, m, k, n in matmul_shapes(batch, seq))


def square_gflops(dtype, n=4096, reps=3):
    """Rate of one large square product: what the matrix units do at best (the ceiling's rate)."""
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    torch.matmul(a, b)
    start = time.perf_counter()
    for _ in range(reps):
        torch.matmul(a, b)
    return 2.0 * n ** 3 * reps / (time.perf_counter() - start) / 1e9


def matmul_seconds(batch, seq, dtype, warmup, steps):
    torch.manual_seed(0)
    order = matmul_shapes(batch, seq)
    pairs = {}
    for count, m, k, n in set(order):
        a, b = torch.randn(count, m, k, dtype=dtype), torch.randn(count, k, n, dtype=dtype)
        pairs[(count, m, k, n)] = (a[0], b[0]) if count == 1 else (a, b)

    def run():
        for shape in order:
            a, b = pairs[shape]
            torch.matmul(a, b)

    return time_steps(run, warmup, steps)


def main():
    global DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, VOCAB, HEAD_DIM, QK_NORM, RANK, ALPHA, TARGETS, BASE_DTYPE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--modes", default="fp32,bf16,ceiling_fp32,ceiling_bf16")
    parser.add_argument("--dim", type=int, default=DIM)
    parser.add_argument("--hidden", type=int, default=HIDDEN)
    parser.add_argument("--layers", type=int, default=LAYERS)
    parser.add_argument("--heads", type=int, default=HEADS)
    parser.add_argument("--vocab", type=int, default=VOCAB)
    parser.add_argument("--kv-heads", type=int, default=0, help="0: as --heads")
    parser.add_argument("--head-dim", type=int, default=0, help="0: dim / heads")
    parser.add_argument("--qk-norm", action="store_true", help="Qwen3's q_norm/k_norm before RoPE")
    parser.add_argument("--rank", type=int, default=RANK, help="LoRA r (alpha = 2r)")
    parser.add_argument("--targets", choices=("qkvo", "all"), default=TARGETS)
    parser.add_argument("--packed", type=int, default=1, help="segments per row")
    parser.add_argument("--square-n", type=int, default=4096,
                        help="ceiling_square_bf16: the square product's size (smaller for smoke runs: without "
                             "AVX512_BF16 a 4096 product takes minutes)")
    parser.add_argument("--base-bf16", action="store_true", help="frozen weights stored in bf16")
    args = parser.parse_args()
    DIM, HIDDEN, LAYERS, HEADS, VOCAB = args.dim, args.hidden, args.layers, args.heads, args.vocab
    KV_HEADS = args.kv_heads or HEADS
    RANK, ALPHA, TARGETS = args.rank, 2.0 * args.rank, args.targets
    BASE_DTYPE = torch.bfloat16 if args.base_bf16 else torch.float32
    HEAD_DIM = args.head_dim or DIM // HEADS
    QK_NORM = args.qk_norm
    torch.set_num_threads(args.threads)
    tokens = args.batch * args.seq
    result = {"threads": args.threads, "batch": args.batch, "seq": args.seq, "torch": torch.__version__,
              "packed_segments": args.packed, "base_dtype": str(BASE_DTYPE), "head_dim": HEAD_DIM, "qk_norm": QK_NORM, "targets": TARGETS, "rank": RANK,
              "matmul_flops_per_step": matmul_flops(args.batch, args.seq),
              "env": {k: os.environ.get(k, "") for k in ("OMP_WAIT_POLICY", "GLIBC_TUNABLES")}}
    for mode in args.modes.split(","):
        if mode == "fp32" and args.base_bf16:
            raise SystemExit("mode fp32 needs fp32 base weights (drop --base-bf16)")
        if mode in ("fp32", "bf16"):
            seconds = train_step_seconds(args.batch, args.seq, mode == "bf16", args.warmup, args.steps, args.packed)
        elif mode in ("ceiling_fp32", "ceiling_bf16"):
            dtype = torch.float32 if mode == "ceiling_fp32" else torch.bfloat16
            seconds = matmul_seconds(args.batch, args.seq, dtype, args.warmup, args.steps)
        elif mode == "ceiling_square_bf16":
            gflops = square_gflops(torch.bfloat16, args.square_n)
            seconds = result["matmul_flops_per_step"] / (gflops * 1e9)  # the step's matmuls at that rate
            result[mode] = {"gflops": gflops, "step_seconds": seconds, "tokens_per_second": tokens / seconds}
            continue
        else:
            raise SystemExit(f"unknown mode {mode}")
        result[mode] = {"step_seconds": seconds, "tokens_per_second": tokens / seconds,
                        "step_cpu_seconds": CPU_SECONDS[-1]}
    peak = next((l for l in open("/proc/self/status") if l.startswith("VmHWM:")), None)
    result["peak_rss_mb"] = int(peak.split()[1]) / 1024.0 if peak else None
    print(json.dumps(result))


if __name__ == "__main__":
    main()
