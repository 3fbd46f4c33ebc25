#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, AddressSanitizer + UBSan) in their own build folder and runs
# each for a fixed time; exits non-zero on the first finding (crash, sanitizer report, leak, timeout,
# out-of-memory, or an exception other than axolotl::Error), leaving the reproducer in the build folder.
#   scripts/fuzz.sh                 30 s per harness (six harnesses), a random seed each run
#   scripts/fuzz.sh 14400           four hours per harness
#   FUZZ_RUNS=20000 scripts/fuzz.sh 20000 inputs per harness from seed 1: the same inputs every time
#                                   (what .ci/run does, so that CI is deterministic)
#   FUZZ_TARGETS="config" scripts/fuzz.sh 600
#   build-fuzz/bin/fuzz_config CRASH_FILE      replays one finding
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
build=${FUZZ_BUILD_DIR:-build-fuzz}
targets=${FUZZ_TARGETS:-"config safetensors records tokenizer_json jinja gguf"}
jobs=${JOBS:-$(nproc)}

if [ ! -f "$build/build.ninja" ]; then
  CCACHE_DISABLE=${CCACHE_DISABLE:-} cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ -DAXOLOTL_FUZZ=ON -DAXOLOTL_SANITIZE=address,undefined \
    -DAXOLOTL_BUILD_TESTS=OFF -DAXOLOTL_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$build" -j "$jobs" --target $(for t in $targets; do printf 'fuzz_%s ' "$t"; done)

# Seeds: the committed corpus plus the project's own configs and data; new inputs go to a scratch
# corpus so that the repository is never written.
declare -A seeds=(
  [config]="tests/fuzz/corpus/config configs examples/tiny tests/assets/config/bad"
  [safetensors]="tests/fuzz/corpus/safetensors"
  [records]="tests/fuzz/corpus/records"
  [tokenizer_json]="tests/assets/data/tokenizer_json tests/assets/export/bpe"
  [jinja]="src/data/chat_templates"
  [gguf]="tests/fuzz/corpus/gguf"
)
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
failed=0
for t in $targets; do
  work="$build/corpus-$t"
  mkdir -p "$work" "$build/findings-$t"
  dirs=()
  for d in ${seeds[$t]:-tests/fuzz/corpus/$t}; do [ -d "$d" ] && dirs+=("$d"); done
  if [ -n "${FUZZ_RUNS:-}" ]; then what="$FUZZ_RUNS inputs from seed 1"; else what="${seconds}s"; fi
  echo "fuzz: $t, $what (seeds: ${dirs[*]})"
  if [ -n "${FUZZ_RUNS:-}" ]; then budget=(-runs="$FUZZ_RUNS" -seed=1); else budget=(-max_total_time="$seconds"); fi
  if ! "$build/bin/fuzz_$t" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 \
       -max_len=65536 -artifact_prefix="$build/findings-$t/" -print_final_stats=1 \
       "$work" "${dirs[@]}" > "$build/fuzz-$t.log" 2>&1; then
    echo "fuzz: FINDING in $t (log: $build/fuzz-$t.log; reproducer in $build/findings-$t/)"
    tail -40 "$build/fuzz-$t.log"
    failed=1
  else
    grep -E '^stat::number_of_executed_units' "$build/fuzz-$t.log" | sed "s/^/fuzz: $t /" || true
  fi
done
exit $failed
