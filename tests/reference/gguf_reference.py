#!/usr/bin/env python3
"""Independent numpy port of ggml's reference quantizers (llama.cpp ggml/src/ggml-quants.c:
quantize_row_{q8_0,q4_0,q5_0,q5_1,q4_K,q5_K,q6_K}_ref), used to make tests/assets/export/quant_golden.json.

Every arithmetic step is float32 as in C; running sums are sequential (np.add.accumulate), never
numpy's pairwise np.sum, because float32 addition is not associative. fp16 storage uses numpy's
round-to-nearest-even float16 cast; nearest_int() is rint (ties to even, |x| < 2^22).

Run: /usr/bin/python3 tests/reference/gguf_reference.py > tests/assets/export/quant_golden.json
"""
import json
import sys

import numpy as np

F = np.float32


def seqsum(a):
    a = np.asarray(a, dtype=F)
    return F(np.add.accumulate(a, dtype=F)[-1]) if a.size else F(0)


def f16(v):
    return np.float16(F(v))


def f16_bytes(v):
    return np.array([f16(v)], dtype=np.float16).tobytes()


def nearest(a):
    return np.rint(np.asarray(a, dtype=F)).astype(np.int64)


def q8_0(x):
    out = b""
    for b in x.reshape(-1, 32):
        amax = F(np.max(np.abs(b)))
        d = F(amax / F(127))
        idv = F(F(1) / d) if d != 0 else F(0)
        v = (b * idv).astype(F)
        q = (np.sign(v) * np.floor(np.abs(v).astype(np.float64) + 0.5)).astype(np.int8)
        out += f16_bytes(d) + q.tobytes()
    return out


def absmax_signed(b):
    # the first element with the largest |x| (strict > keeps the first one)
    return F(b[int(np.argmax(np.abs(b)))]) if np.any(np.abs(b) > 0) else F(0)


def q4_0(x):
    out = b""
    for b in x.reshape(-1, 32):
        m = absmax_signed(b)
        d = F(m / F(-8))
        idv = F(F(1) / d) if d != 0 else F(0)
        q = np.minimum(15, np.trunc((b * idv).astype(F) + F(8.5)).astype(np.int64))
        qs = (q[:16] | (q[16:] << 4)).astype(np.uint8)
        out += f16_bytes(d) + qs.tobytes()
    return out


def q5_0(x):
    out = b""
    for b in x.reshape(-1, 32):
        m = absmax_signed(b)
        d = F(m / F(-16))
        idv = F(F(1) / d) if d != 0 else F(0)
        q = np.minimum(31, np.trunc((b * idv).astype(F) + F(16.5)).astype(np.int64))
        qs = ((q[:16] & 15) | ((q[16:] & 15) << 4)).astype(np.uint8)
        qh = 0
        for j in range(32):
            qh |= ((int(q[j]) >> 4) & 1) << j
        out += f16_bytes(d) + int(qh).to_bytes(4, "little") + qs.tobytes()
    return out


def qkx2(x, w, nmax, rmin, rdelta, nstep):
    """make_qkx2_quants with use_mad = false; returns (scale, the_min, L)."""
    mn = F(min(F(0), F(np.min(x))))
    mx = F(np.max(x))
    sum_w = seqsum(w)
    sum_x = seqsum((w * x).astype(F))
    if mx == mn:
        return F(0), F(-mn), np.zeros(len(x), dtype=np.int64)
    iscale = F(F(nmax) / F(mx - mn))
    scale = F(F(1) / iscale)
    L = np.clip(nearest((iscale * (x - mn).astype(F)).astype(F)), 0, nmax)
    diff = ((scale * L.astype(F)).astype(F) + mn - x).astype(F)
    best = seqsum((w * (diff * diff).astype(F)).astype(F))
    for s in range(nstep + 1):
        iscale = F(F(F(rmin + F(F(rdelta) * F(s))) + F(nmax)) / F(mx - mn))
        la = np.clip(nearest((iscale * (x - mn).astype(F)).astype(F)), 0, nmax)
        lf = la.astype(F)
        sum_l = seqsum((w * lf).astype(F))
        sum_l2 = seqsum(((w * lf).astype(F) * lf).astype(F))
        sum_xl = seqsum(((w * lf).astype(F) * x).astype(F))
        D = F(F(sum_w * sum_l2) - F(sum_l * sum_l))
        if D > 0:
            this_scale = F(F(F(sum_w * sum_xl) - F(sum_x * sum_l)) / D)
            this_min = F(F(F(sum_l2 * sum_x) - F(sum_l * sum_xl)) / D)
            if this_min > 0:
                this_min = F(0)
                this_scale = F(sum_xl / sum_l2)
            diff = ((this_scale * lf).astype(F) + this_min - x).astype(F)
            cur = seqsum((w * (diff * diff).astype(F)).astype(F))
            if cur < best:
                L, best, scale, mn = la, cur, this_scale, this_min
    return scale, F(-mn), L


def q5_1(x):
    out = b""
    for b in x.reshape(-1, 32):
        mn, mx = F(np.min(b)), F(np.max(b))
        d = F(F(mx - mn) / F(31))
        idv = F(F(1) / d) if d != 0 else F(0)
        q = np.trunc((((b - mn).astype(F) * idv).astype(F) + F(0.5)).astype(F)).astype(np.int64)
        qs = ((q[:16] & 15) | ((q[16:] & 15) << 4)).astype(np.uint8)
        qh = 0
        for j in range(32):
            qh |= ((int(q[j]) >> 4) & 1) << j
        out += f16_bytes(d) + f16_bytes(mn) + int(qh).to_bytes(4, "little") + qs.tobytes()
    return out


def q4_k(x):
    return k_min_quant(x, five=False)


def q5_k(x):
    return k_min_quant(x, five=True)


def k_min_quant(x, five):
    """quantize_row_q4_K_ref (15 levels) / quantize_row_q5_K_ref (31 levels, fifth bits in qh)."""
    nmax = 31 if five else 15
    out = b""
    for b in x.reshape(-1, 256):
        scales, mins, L = [], [], np.zeros(256, dtype=np.int64)
        for j in range(8):
            s = b[32 * j:32 * j + 32]
            av = F(np.sqrt(F(seqsum((s * s).astype(F)) / F(32))))
            w = (av + np.abs(s)).astype(F)
            if five:
                sc, mn, l = qkx2(s, w, 31, F(-0.5), F(0.1), 15)
            else:
                sc, mn, l = qkx2(s, w, 15, F(-1), F(0.1), 20)
            scales.append(sc)
            mins.append(mn)
            L[32 * j:32 * j + 32] = l
        max_scale = max([F(0)] + [s for s in scales if s > 0])
        max_min = max([F(0)] + [m for m in mins if m > 0])
        inv_s = F(F(63) / max_scale) if max_scale > 0 else F(0)
        inv_m = F(F(63) / max_min) if max_min > 0 else F(0)
        ls = [min(63, int(nearest(F(inv_s * s))) & 255) for s in scales]
        lm = [min(63, int(nearest(F(inv_m * m))) & 255) for m in mins]
        sc12 = [0] * 12
        for j in range(8):
            if j < 4:
                sc12[j] = ls[j]
                sc12[j + 4] = lm[j]
            else:
                sc12[j + 4] = (ls[j] & 15) | ((lm[j] & 15) << 4)
                sc12[j - 4] |= (ls[j] >> 4) << 6
                sc12[j] |= (lm[j] >> 4) << 6
        d = f16(F(max_scale / F(63)))
        dmin = f16(F(max_min / F(63)))
        for j in range(8):
            dj = F(F(d) * F(ls[j]))
            if dj == 0:
                continue
            dm = F(F(dmin) * F(lm[j]))
            s = b[32 * j:32 * j + 32]
            L[32 * j:32 * j + 32] = np.clip(nearest(((s + dm).astype(F) / dj).astype(F)), 0, nmax)
        qs, qh = [], [0] * 32
        for n, j in enumerate(range(0, 256, 64)):
            for l in range(32):
                l1, l2 = int(L[j + l]), int(L[j + l + 32])
                if l1 > 15:
                    l1 -= 16
                    qh[l] |= 1 << (2 * n)
                if l2 > 15:
                    l2 -= 16
                    qh[l] |= 2 << (2 * n)
                qs.append(l1 | (l2 << 4))
        out += np.array([d, dmin], dtype=np.float16).tobytes() + bytes(sc12) + (bytes(qh) if five else b"") + bytes(qs)
    return out


def qx(x, nmax):
    """make_qx_quants with rmse_type 1 and no weights; returns (scale, L in 0..2*nmax-1)."""
    amax = F(np.max(np.abs(x)))
    if amax < F(1e-15):
        return F(0), np.zeros(len(x), dtype=np.int64)
    mx = F(x[int(np.argmax(np.abs(x)))])
    w = (x * x).astype(F)

    def fit(iscale):
        l = np.clip(nearest((iscale * x).astype(F)), -nmax, nmax - 1)
        lf = l.astype(F)
        sumlx = seqsum(((w * x).astype(F) * lf).astype(F))
        suml2 = seqsum(((w * lf).astype(F) * lf).astype(F))
        return l, sumlx, suml2

    iscale = F(F(-nmax) / mx)
    l, sumlx, suml2 = fit(iscale)
    L = l + nmax
    scale = F(sumlx / suml2) if suml2 != 0 else F(0)
    best = F(scale * sumlx)
    for s in range(-9, 10):
        if s == 0:
            continue
        iscale = F(F(-F(F(nmax) + F(F(0.1) * F(s)))) / mx)
        l, sumlx, suml2 = fit(iscale)
        if suml2 > 0 and F(sumlx * sumlx) > F(best * suml2):
            L = l + nmax
            scale = F(sumlx / suml2)
            best = F(scale * sumlx)
    return scale, L


def q6_k(x):
    out = b""
    for b in x.reshape(-1, 256):
        scales = []
        L = np.zeros(256, dtype=np.int64)
        for ib in range(16):
            sc, l = qx(b[16 * ib:16 * ib + 16], 32)
            scales.append(sc)
            L[16 * ib:16 * ib + 16] = l
        max_abs, max_scale = F(0), F(0)
        for s in scales:
            if abs(s) > max_abs:
                max_abs, max_scale = F(abs(s)), s
        if max_abs < F(1e-15):
            out += bytes(210)
            continue
        iscale = F(F(-128) / max_scale)
        d = f16(F(F(1) / iscale))
        sc = [min(127, int(nearest(F(iscale * s)))) for s in scales]
        for j in range(16):
            dj = F(F(d) * F(sc[j]))
            if dj == 0:
                continue
            s = b[16 * j:16 * j + 16]
            L[16 * j:16 * j + 16] = np.clip(nearest((s / dj).astype(F)), -32, 31) + 32
        ql, qh = [0] * 128, [0] * 64
        for h in range(2):
            j = 128 * h
            for l in range(32):
                q1, q2, q3, q4 = (int(L[j + l + o]) for o in (0, 32, 64, 96))
                ql[64 * h + l] = (q1 & 15) | ((q3 & 15) << 4)
                ql[64 * h + l + 32] = (q2 & 15) | ((q4 & 15) << 4)
                qh[32 * h + l] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6)
        out += bytes(ql) + bytes(qh) + np.array(sc, dtype=np.int8).tobytes() + f16_bytes(F(d))
    return out


def cases():
    rng = np.random.default_rng(17)
    n = 512
    yield "normal", rng.standard_normal(n).astype(F) * F(0.02)
    yield "zeros", np.zeros(n, dtype=F)
    x = (rng.standard_normal(n) * 0.01).astype(F)
    x[37] = F(3.5)
    x[300] = F(-7.25)
    yield "outlier", x
    # denormal inputs inside blocks whose scale is normal (an all-denormal block divides by a
    # denormal scale into inf, which is undefined behaviour in the C reference)
    x = (rng.standard_normal(n) * 0.02).astype(F)
    x[::3] = (rng.standard_normal(len(x[::3])) * 1e-40).astype(F)
    yield "denormal", x
    yield "negative", -np.abs(rng.standard_normal(n)).astype(F)
    yield "constant", np.full(n, F(0.125), dtype=F)
    x = rng.standard_normal(n).astype(F)
    x *= np.repeat(np.array([1e-4, 1.0, 30.0, 1e-2], dtype=F), n // 4)
    yield "mixed_scale", x
    yield "uniform", rng.uniform(-1, 1, n).astype(F)


def main():
    out = {"source": "tests/reference/gguf_reference.py (numpy port of ggml-quants.c *_ref)", "cases": []}
    for name, x in cases():
        out["cases"].append({
            "name": name,
            "input_f32_hex": x.astype("<f4").tobytes().hex(),
            "q8_0": q8_0(x).hex(),
            "q4_0": q4_0(x).hex(),
            "q5_0": q5_0(x).hex(),
            "q5_1": q5_1(x).hex(),
            "q4_k": q4_k(x).hex(),
            "q5_k": q5_k(x).hex(),
            "q6_k": q6_k(x).hex(),
        })
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
