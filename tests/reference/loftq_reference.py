#!/usr/bin/env python3
"""Golden values for tests/adapters/test_loftq.cpp: PEFT's LoftQ initialisation (utils/loftq_utils.py
loftq_init and _low_rank_decomposition, loftq_iter 1) re-stated over an independent bitsandbytes
quantizer written here from bitsandbytes' definitions: NF4 (the 16 NF4 code values, absmax per block of
64, nearest code; Params4bit(compress_statistics=False)) and int8 vectorwise (row absmax, round(x * 127 /
absmax), dequantized as q * absmax / 127). Two weights, ranks 4 and 3, bits 4 and 8. SVD factors carry a
sign freedom, so the test compares B @ A and the singular values, plus Q exactly.
Run: /usr/bin/python3 tests/reference/loftq_reference.py   (writes tests/assets/loftq/golden.json)"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "loftq", "golden.json")

NF4 = torch.tensor([-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
                    -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
                    0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
                    0.7229568362236023, 1.0])


def nf4_roundtrip(w, blocksize=64):
    flat = w.flatten()
    out = torch.empty_like(flat)
    for b in range(0, flat.numel(), blocksize):
        block = flat[b:b + blocksize]
        absmax = block.abs().max().clamp_min(1e-38)
        codes = (block / absmax).unsqueeze(1).sub(NF4.unsqueeze(0)).abs().argmin(dim=1)
        out[b:b + blocksize] = NF4[codes] * absmax
    return out.view_as(w)


def int8_roundtrip(w):
    absmax = w.abs().max(dim=1, keepdim=True).values
    q = torch.round(w * 127.0 / absmax).clamp(-127, 127)
    return q * absmax / 127.0


def low_rank_decomposition(weight, reduced_rank):
    U, S, Vh = torch.linalg.svd(weight, full_matrices=False)
    L = U @ (torch.sqrt(torch.diag(S)[:, 0:reduced_rank]))
    R = torch.sqrt(torch.diag(S)[0:reduced_rank, :]) @ Vh
    return L, R, S


def loftq_init(weight, num_bits, reduced_rank):
    weight = weight.to(torch.float32)
    res = weight.clone()
    dequantized = nf4_roundtrip(res) if num_bits == 4 else int8_roundtrip(res)
    res = weight - dequantized
    L, R, S = low_rank_decomposition(res, reduced_rank)
    return dequantized, R, L, S  # base, lora_A, lora_B


def case(seed, out_f, in_f, bits, rank):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(out_f, in_f, generator=g) * 0.05
    q, a, b, s = loftq_init(w, bits, rank)
    return {"out": out_f, "in": in_f, "bits": bits, "rank": rank, "weight": w.flatten().tolist(),
            "base": q.flatten().tolist(), "product": (b @ a).flatten().tolist(), "singular": s[:rank].tolist()}


def main():
    cases = [case(1, 24, 40, 4, 4), case(2, 16, 64, 8, 3)]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"source": "tests/reference/loftq_reference.py", "cases": cases}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
