#!/usr/bin/env python3
"""Golden values for tests/model/test_fake_quant.cpp: torchao's QAT fake quantizers re-stated from their
formulas (torchao/quantization/qat/fake_quantizer.py Int4WeightFakeQuantizer and Float8FakeQuantizer,
quant_primitives.py choose_qparams_affine / _fake_quantize_affine / _choose_scale_float8), with the
straight-through rounding of torchao's _Round and _RoundToFloat8. This torch (1.13) has no float8
dtype, so e4m3fn rounding is a nearest-value search over the table of all 126 positive finite e4m3fn
values (ties to the even code), independent of the C++ emulation; float4 e2m1 likewise over its 8 values.
NVFP4 and MXFP4 follow torchao 0.17's NVFP4Tensor.to_nvfp4 / dequantize (per-tensor scale, e4m3 block
scales of 16) and MXTensor.to_mx(RCEIL) / to_dtype (e8m0 block scales of 32), whose QAT linears pass the
gradient straight through. For each case: the input, the fake-quantized output and the gradient of
sum(out * upstream) with respect to the input.
Run: /usr/bin/python3 tests/reference/qat_reference.py   (writes tests/assets/qat/golden.json)"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "qat", "golden.json")

# All positive finite float8_e4m3fn values: exponent field 0..15 (bias 7), mantissa 0..7; S.1111.111 is NaN.
E4M3 = []
for e in range(16):
    for m in range(8):
        if e == 15 and m == 7:
            continue
        E4M3.append(m * 2.0 ** -9 if e == 0 else (1 + m / 8) * 2.0 ** (e - 7))
E4M3 = torch.tensor(E4M3, dtype=torch.float64)
assert E4M3[-1].item() == 448.0


def nearest(table, x):  # nearest |x| in table, ties to the even code, sign kept
    a = x.abs().to(torch.float64)
    hi = torch.searchsorted(table, a).clamp(max=len(table) - 1)
    lo = (hi - 1).clamp(min=0)
    d_lo, d_hi = a - table[lo], table[hi] - a
    pick_hi = (d_hi < d_lo) | ((d_hi == d_lo) & (hi % 2 == 0))
    v = torch.where(pick_hi, table[hi], table[lo])
    return (torch.sign(x.to(torch.float64)) * v).to(x.dtype)


def e4m3_value(x):
    return nearest(E4M3, x)


E2M1 = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0], dtype=torch.float64)  # codes 0..7


def nvfp4_values(x):  # NVFP4Tensor.to_nvfp4(per_tensor_scale=amax/(448*6)) then .dequantize()
    dtype, k = x.dtype, x.shape[-1]
    pts = torch.max(torch.abs(x)).to(torch.float32) / (448.0 * 6.0)
    b = x.float().reshape(-1, k // 16, 16)
    block_scale = torch.amax(torch.abs(b), dim=-1) / 6.0
    s8 = e4m3_value(torch.clamp(block_scale / pts, min=2.0 ** -6, max=448.0))
    reciprocal = (1.0 / pts) / s8
    q = nearest(E2M1, torch.clamp(b * reciprocal.unsqueeze(-1), -6.0, 6.0))
    # get_hp_scales (per_tensor_scale * scale.to(orig_dtype)) as CUDA computes it, where torchao's NVFP4
    # runs: the 0-dim float32 factor stays float32 in the product, rounded once to the original dtype.
    hp_scale = (pts * s8).to(dtype).to(torch.float32)
    return (q * hp_scale.unsqueeze(-1)).view(x.shape).to(dtype)


def mxfp4_values(x):  # MXTensor.to_mx(float4_e2m1fn_x2, 32, RCEIL) then to_dtype
    dtype, k = x.dtype, x.shape[-1]
    b = x.reshape(-1, k // 32, 32)
    max_abs = torch.amax(torch.abs(b), dim=-1).unsqueeze(-1).to(torch.float32)
    b = b.to(torch.float32)
    descale = max_abs / 6.0
    exponent = (torch.clamp(torch.ceil(torch.log2(descale)), min=-127, max=127) + 127).to(torch.uint8)
    descale_fp = torch.where(exponent == 0, torch.ones_like(descale), torch.exp2(127 - exponent.to(torch.float32)))
    q = nearest(E2M1, torch.clamp(b * descale_fp, -6.0, 6.0))
    scale = torch.pow(torch.full_like(descale, 2.0), exponent.to(torch.int16) - 127).to(dtype)
    return (q.to(dtype) * scale).view(x.shape)


class StraightThrough(torch.autograd.Function):  # the fp4 QAT linears' backward: dequantized operands
    @staticmethod
    def forward(ctx, x, fn):
        return fn(x)

    @staticmethod
    def backward(ctx, g):
        return g, None


def nvfp4(x):
    return StraightThrough.apply(x, nvfp4_values)


def mxfp4(x):
    return StraightThrough.apply(x, mxfp4_values)


class Round(torch.autograd.Function):  # torchao _Round
    @staticmethod
    def forward(ctx, x):
        return torch.round(x)

    @staticmethod
    def backward(ctx, g):
        return g


class RoundToFloat8(torch.autograd.Function):  # torchao _RoundToFloat8 (values kept in float32)
    @staticmethod
    def forward(ctx, x):
        return e4m3_value(x)

    @staticmethod
    def backward(ctx, g):
        return g


def float8_rowwise(x, hp_value_lb=None):  # Float8FakeQuantizer, PerRow
    max_abs = x.abs().amax(dim=-1, keepdim=True)
    if hp_value_lb is not None:
        max_abs = torch.clamp(max_abs, min=hp_value_lb)
    scale = (max_abs / 448.0).to(torch.float32)
    q = RoundToFloat8.apply((x.to(torch.float32) / scale).clamp(min=-448.0, max=448.0))
    return (q.to(torch.float32) * scale).to(x.dtype)


def int4_fp8_path(w, group_size):  # Int4WeightFakeQuantizer._fp8_activations_forward
    w8 = float8_rowwise(w, 1e-12)
    g = w8.view(w8.shape[0], -1, group_size)
    scale = torch.clamp(torch.amax(torch.abs(g), dim=-1, keepdim=False) / 8, min=1e-6)
    zp = torch.zeros_like(scale)
    s, z = scale.unsqueeze(-1), zp.unsqueeze(-1)
    q = torch.clamp(Round.apply(g * (1.0 / s)) + z, -8, 7)
    dq = (q.to(g.dtype) - z.to(g.dtype)) * s
    return dq.view(w.shape).to(w.dtype)


def int4_bf16_path(w, group_size):  # Int4WeightFakeQuantizer._bf16_activations_forward
    g = w.to(torch.float32).view(w.shape[0], -1, group_size)
    max_val = torch.amax(g, dim=-1, keepdim=True)
    min_val = torch.amin(g, dim=-1, keepdim=True)
    scale = torch.clamp(max_val - min_val, min=1e-6) / 15
    zero_point = min_val + scale * 8
    fq = Round.apply((g - min_val) / scale).clamp(0, 15)
    fq = fq - 8
    fq = fq * scale + zero_point
    return fq.view(w.shape).to(w.dtype)


def int8_per_token(x):  # IntxFakeQuantizer(int8, per_token, asymmetric)
    qmin, qmax = -128, 127
    with torch.no_grad():  # choose_qparams_affine is @torch.no_grad
        min_neg = torch.min(x.amin(dim=-1, keepdim=True), torch.zeros(1, dtype=x.dtype))
        max_pos = torch.max(x.amax(dim=-1, keepdim=True), torch.zeros(1, dtype=x.dtype))
        scale = (max_pos - min_neg) / float(qmax - qmin)
        scale = torch.clamp(scale, min=torch.finfo(x.dtype).tiny)  # smallest_normal
        zp = torch.clamp(qmin - torch.round(min_neg / scale), qmin, qmax)
        scale, zp = scale.to(torch.float32), zp.to(torch.int32)
    q = torch.clamp(Round.apply(x * (1.0 / scale)) + zp, qmin, qmax)
    return ((q.to(x.dtype) - zp.to(x.dtype)) * scale).to(x.dtype)


def weight_matrix(gen):
    w = torch.randn(4, 64, generator=gen) * 0.05
    w[0, :32] = 0.0      # an all-zero group
    w[1, 40] = 3.0       # one outlier in the second group of row 1
    w[2, 5] = -2.5       # a negative outlier
    w[3, 32:] = 0.02     # a constant group
    return w


def activations(gen):
    x = torch.randn(2, 3, 64, generator=gen)
    x[0, 0] = 0.0        # an all-zero token
    x[1, 2, 7] = 40.0    # one outlier token value
    x[0, 1] = x[0, 1].abs()  # a token with no negative values (zero point at qmin)
    return x


def case(name, fn, x, gen, dtype=torch.float32, **kw):
    x = x.clone().to(dtype).requires_grad_(True)
    out = fn(x, **kw)
    up = torch.randn(x.shape, generator=gen).to(dtype)
    (out * up).sum().backward()
    return {"name": name, "shape": list(x.shape), "group_size": kw.get("group_size", 0),
            "dtype": "bfloat16" if dtype == torch.bfloat16 else "float32",
            "input": x.detach().float().flatten().tolist(), "upstream": up.float().flatten().tolist(),
            "output": out.detach().float().flatten().tolist(), "grad": x.grad.float().flatten().tolist()}


def main():
    gen = torch.Generator().manual_seed(1212)
    w = weight_matrix(gen)
    x = activations(gen)
    cases = [
        case("int4_fp8_path", int4_fp8_path, w, gen, group_size=32),
        case("int4_fp8_path", int4_fp8_path, w, gen, group_size=16),
        case("int4_bf16_path", int4_bf16_path, w, gen, group_size=32),
        case("int4_bf16_path", int4_bf16_path, w, gen, group_size=16),
        case("float8_rowwise", float8_rowwise, w, gen),
        case("float8_rowwise", float8_rowwise, x[1], gen),
        case("int8_per_token", int8_per_token, x, gen),
        case("nvfp4", nvfp4, w, gen),
        case("nvfp4", nvfp4, x, gen),
        case("nvfp4", nvfp4, w * 7.3, gen, dtype=torch.bfloat16),
        case("mxfp4", mxfp4, w, gen),
        case("mxfp4", mxfp4, x, gen),
        case("mxfp4", mxfp4, x * 0.01, gen, dtype=torch.bfloat16),
    ]
    probe = torch.tensor([0.0, 1e-4, 2.0 ** -9 * 1.5, 2.0 ** -9 * 2.5, 0.0137, 1.0625, -1.0625, 1.1875, 17.0,
                          -300.0, 440.0, 448.0, 3.14159])
    e2m1_probe = torch.tensor([0.0, 0.2, 0.25, 0.26, 0.75, -0.75, 1.25, 1.75, 2.5, 3.5, 5.0, -5.0, 5.5, 6.0, 2.9])
    golden = {"source": "tests/reference/qat_reference.py", "cases": cases,
              "e4m3_probe": {"input": probe.tolist(), "output": e4m3_value(probe).tolist()},
              "e2m1_probe": {"input": e2m1_probe.tolist(), "output": nearest(E2M1, e2m1_probe).tolist()}}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(golden, f)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
