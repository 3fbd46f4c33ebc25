#!/usr/bin/env bash
# The one benchmark command (bench/README.md): builds what it needs, then runs bench/harness.py, which
# prints the table and writes bench/results/<timestamp>.json. Extra arguments go to harness.py
# (--smoke, --threads N, --realistic-rounds N,
# --sections training,realistic,realistic_qwen3,memory,preprocessing,tokenizer_rates,preprocess_scaling,startup).
# BUILD_DIR (default build) is the CMake build folder; PYTHON (default /usr/bin/python3) needs torch
# and sentencepiece.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
PYTHON="${PYTHON:-/usr/bin/python3}"
if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$BUILD_DIR" --target axolotl axolotl_engine axolotl_spm axolotl_bench_lora -j "$(nproc)" >&2
exec "$PYTHON" "$ROOT/bench/harness.py" --bin-dir "$BUILD_DIR/bin" "$@"
