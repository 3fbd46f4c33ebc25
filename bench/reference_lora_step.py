#!/usr/bin/env python3
"""Eager-PyTorch reference for the benchmark harness: one LoRA training step of a ~15M LLaMA.

Same model and step as the C++ benchmark (HF LLaMA semantics, FORMATS.md §2.3; PEFT LoRA, §3.4):
dim 288, hidden 768, 6 layers, 6 heads, vocab 32000, tied embeddings, batch 4 x 256, LoRA r=8
alpha=16 on q,k,v,o, AdamW on the LoRA parameters. Prints one JSON object with median tokens/s of
the step in fp32 and in bf16 (torch.autocast), and the matmul-only ceiling: the time of just the
step's matmuls (forward and backward shapes) in the same dtype. The step is the trainer's: mean CE
over the T-1 predicted positions, backward, gradient clipping at 1.0, AdamW (lr 2e-4). Shapes can be
shrunk (--dim ...) for the harness's smoke test. Run with /usr/bin/python3 (torch).
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
HEAD_DIM = DIM // HEADS
RANK, ALPHA = 8, 16.0


class LoraLinear(torch.nn.Module):
    def __init__(self, fan_in, fan_out):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(fan_out, fan_in) * 0.02, requires_grad=False)
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


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = (LoraLinear(DIM, DIM) for _ in range(4))
        self.gate = torch.nn.Parameter(torch.randn(HIDDEN, DIM) * 0.02, requires_grad=False)
        self.up = torch.nn.Parameter(torch.randn(HIDDEN, DIM) * 0.02, requires_grad=False)
        self.down = torch.nn.Parameter(torch.randn(DIM, HIDDEN) * 0.02, requires_grad=False)
        self.norm1 = torch.nn.Parameter(torch.ones(DIM), requires_grad=False)
        self.norm2 = torch.nn.Parameter(torch.ones(DIM), requires_grad=False)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        h = rms_norm(x, self.norm1)
        q = self.q(h).view(b, t, HEADS, HEAD_DIM).transpose(1, 2)  # (B, H, T, hd)
        k = self.k(h).view(b, t, HEADS, HEAD_DIM).transpose(1, 2)
        v = self.v(h).view(b, t, HEADS, HEAD_DIM).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(HEAD_DIM) + mask  # (B, H, T, T)
        probs = torch.softmax(scores.float(), dim=-1).to(q.dtype)
        att = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, DIM)
        x = x + self.o(att)
        h = rms_norm(x, self.norm2)
        return x + F.linear(F.silu(F.linear(h, self.gate)) * F.linear(h, self.up), self.down)


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Parameter(torch.randn(VOCAB, DIM) * 0.02, requires_grad=False)
        self.layers = torch.nn.ModuleList(Layer() for _ in range(LAYERS))
        self.norm = torch.nn.Parameter(torch.ones(DIM), requires_grad=False)

    def forward(self, ids, labels):
        b, t = ids.shape
        x = F.embedding(ids, self.embed)
        inv_freq = 1.0 / (10000.0 ** (torch.arange(0, HEAD_DIM, 2, dtype=torch.int64).float() / HEAD_DIM))
        freqs = torch.arange(t).float()[:, None] * inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
        mask = torch.full((t, t), torch.finfo(x.dtype).min).triu(1).to(x.dtype)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        logits = F.linear(rms_norm(x[:, :-1], self.norm), self.embed).float()  # (B, T-1, V), as ours
        return F.cross_entropy(logits.reshape(-1, VOCAB), labels[:, 1:].reshape(-1))


def time_steps(fn, warmup, steps):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def train_step_seconds(batch, seq, bf16, warmup, steps):
    torch.manual_seed(0)
    model = Model()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=2e-4, weight_decay=0.0)  # HF Trainer / our config defaults
    ids = torch.randint(0, VOCAB, (batch, seq))

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(ids, ids)
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
    shapes = []
    for layer in range(LAYERS):
        for proj in range(4):  # q k v o: frozen base + LoRA A, B
            shapes += [(1, n_tok, DIM, DIM), (1, n_tok, DIM, RANK), (1, n_tok, RANK, DIM)]  # forward
            shapes += [(1, n_tok, DIM, RANK)]                                               # grad of x A^T
            if layer > 0 or proj == 3:
                shapes += [(1, n_tok, DIM, DIM), (1, n_tok, RANK, DIM)]                     # grad input
            shapes += [(1, RANK, n_tok, DIM), (1, DIM, n_tok, RANK)]                        # grad A, B
        shapes += [(bh, seq, HEAD_DIM, seq), (bh, seq, seq, HEAD_DIM)]                       # QK^T, PV
        shapes += [(bh, seq, HEAD_DIM, seq), (bh, seq, seq, HEAD_DIM)] + [(bh, seq, seq, HEAD_DIM)] * 2
        shapes += [(1, n_tok, DIM, HIDDEN)] * 2 + [(1, n_tok, HIDDEN, DIM)]                  # gate up down
        shapes += [(1, n_tok, HIDDEN, DIM)] * 2 + [(1, n_tok, DIM, HIDDEN)]                  # grad input
    n_pred = batch * (seq - 1)
    shapes += [(1, n_pred, DIM, VOCAB), (1, n_pred, VOCAB, DIM)]                             # lm_head
    return shapes


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
    global DIM, HIDDEN, LAYERS, HEADS, VOCAB, HEAD_DIM
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
    args = parser.parse_args()
    DIM, HIDDEN, LAYERS, HEADS, VOCAB = args.dim, args.hidden, args.layers, args.heads, args.vocab
    HEAD_DIM = DIM // HEADS
    torch.set_num_threads(args.threads)
    tokens = args.batch * args.seq
    result = {"threads": args.threads, "batch": args.batch, "seq": args.seq, "torch": torch.__version__,
              "env": {k: os.environ.get(k, "") for k in ("OMP_WAIT_POLICY", "GLIBC_TUNABLES")}}
    for mode in args.modes.split(","):
        if mode in ("fp32", "bf16"):
            seconds = train_step_seconds(args.batch, args.seq, mode == "bf16", args.warmup, args.steps)
        elif mode in ("ceiling_fp32", "ceiling_bf16"):
            dtype = torch.float32 if mode == "ceiling_fp32" else torch.bfloat16
            seconds = matmul_seconds(args.batch, args.seq, dtype, args.warmup, args.steps)
        else:
            raise SystemExit(f"unknown mode {mode}")
        result[mode] = {"step_seconds": seconds, "tokens_per_second": tokens / seconds}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
