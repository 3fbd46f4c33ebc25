#!/usr/bin/env bash
# The bundled offline example, end to end: create the tiny model, validate, preprocess, train,
# merge and generate. Stops cleanly (exit 0) at the first step that is not available yet (exit 3).
set -uo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
axolotl="$build_dir/bin/axolotl"
config=examples/tiny/config.yml

step() {
  echo
  echo "==> axolotl $*"
  "$axolotl" "$@"
  local rc=$?
  if [ $rc -eq 3 ]; then
    echo "demo: stopping here, this step is not available yet (see README, 'Status')"
    exit 0
  fi
  if [ $rc -ne 0 ]; then
    echo "demo: 'axolotl $*' failed with exit code $rc" >&2
    exit $rc
  fi
}

start=$(date +%s)
if [ ! -f outputs/tiny-model/config.json ]; then
  step create-tiny --output outputs/tiny-model --corpus examples/tiny/corpus.txt
fi
step validate "$config"
step preprocess "$config"
step train "$config"
step merge "$config" --output outputs/tiny-merged --force
step inference "$config" --template alpaca --max-new-tokens 48 \
  --prompt "What is the capital of France?" --prompt "What colour is the sky?"
echo
echo "demo: finished in $(( $(date +%s) - start )) s; outputs in ./outputs"
