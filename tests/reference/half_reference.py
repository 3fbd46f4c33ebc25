"""Reference for tests/io/test_half.cpp: converts f32 bit patterns to f16 and bf16 with torch.

Usage: half_reference.py IN OUT  (IN: little-endian u32 f32 bits; OUT: u16 f16 bits then u16 bf16 bits)
"""
import sys

import numpy as np
import torch

bits = np.fromfile(sys.argv[1], dtype="<u4")
f32 = torch.from_numpy(bits.view(np.float32).copy())
f16 = f32.to(torch.float16).view(torch.int16).numpy().view(np.uint16)
bf16 = f32.to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
np.concatenate([f16, bf16]).astype("<u2").tofile(sys.argv[2])
