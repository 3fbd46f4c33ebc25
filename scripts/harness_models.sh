#!/usr/bin/env bash
# Builds the tiny model folders scripts/examples_harness.py swaps in for base_model: one per family, each
# with its family's real tokenizer (so chat templates and special tokens of the family's configs exist).
#   scripts/harness_models.sh [--axolotl BIN] [--tokenizers DIR] [--only NAME,...] OUT
# OUT/<name> for name in llama (Llama-2 sentencepiece), llama3 (Llama-3 tokenizer.json), llama31 (Llama-3.1),
# mistral, qwen2, qwen3 (Qwen tokenizer), gemma2, gemma3 (Gemma tokenizer), phi3. 4 layers, hidden 128;
# the Gemma folders are the largest (262k-token embedding, ~130 MB). Needs no network.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
axolotl="$here/build/bin/axolotl"
tokenizers="$here/../shared/tokenizers"
only=""
while [[ $# -gt 1 ]]; do
  case "$1" in
    --axolotl) axolotl="$2"; shift 2 ;;
    --tokenizers) tokenizers="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    *) echo "error: unknown option '$1'" >&2; exit 2 ;;
  esac
done
if [[ $# -ne 1 || "$1" == -* ]]; then
  echo "usage: $0 [--axolotl BIN] [--tokenizers DIR] [--only NAME,...] OUT" >&2
  exit 2
fi
out="$1"
[[ -x "$axolotl" ]] || { echo "error: axolotl executable not found: $axolotl (hint: build it, or pass --axolotl)" >&2; exit 2; }

# Llama-3.1/3.2 share Llama-3's vocabulary but name three of its reserved ids (128004 <|finetune_right_pad_id|>,
# 128008 <|eom_id|>, 128010 <|python_tag|>; the reserved tokens after them are renumbered): a copy of the
# Llama-3 tokenizer with those names stands in for them (its chat_template stays Llama-3's).
llama31_tokenizer() {
  local src="$1" dst="$2"
  mkdir -p "$dst"
  python3 - "$src" "$dst" <<'PY'
import json, sys
src, dst = sys.argv[1], sys.argv[2]
def name(i, old):
    named = {128004: "<|finetune_right_pad_id|>", 128005: "<|reserved_special_token_2|>", 128008: "<|eom_id|>",
             128010: "<|python_tag|>"}
    if i in named:
        return named[i]
    return "<|reserved_special_token_%d|>" % (i - 128008) if i >= 128011 else old
tok = json.load(open(src + "/tokenizer.json", encoding="utf-8"))
for t in tok["added_tokens"]:
    t["content"] = name(t["id"], t["content"])
json.dump(tok, open(dst + "/tokenizer.json", "w", encoding="utf-8"), ensure_ascii=False)
cfg = json.load(open(src + "/tokenizer_config.json", encoding="utf-8"))
for k, v in cfg.get("added_tokens_decoder", {}).items():
    v["content"] = name(int(k), v["content"])
json.dump(cfg, open(dst + "/tokenizer_config.json", "w", encoding="utf-8"), ensure_ascii=False, indent=1)
PY
}

# name  family  tokenizer folder (under --tokenizers; llama31 is derived from llama3)
models="llama llama llama2
llama3 llama llama3
llama31 llama llama31
mistral mistral llama2
qwen2 qwen2 qwen3
qwen3 qwen3 qwen3
gemma2 gemma2 gemma3
gemma3 gemma3 gemma3
phi3 phi3 llama2"

mkdir -p "$out"
while read -r name family tok; do
  if [[ -n "$only" && ",$only," != *",$name,"* ]]; then continue; fi
  tokdir="$tokenizers/$tok"
  if [[ "$tok" == llama31 ]]; then
    tokdir="$out/.llama31-tokenizer"
    [[ -d "$tokenizers/llama3" ]] && llama31_tokenizer "$tokenizers/llama3" "$tokdir"
  fi
  if [[ ! -d "$tokdir" ]]; then
    echo "error: tokenizer folder not found: $tokenizers/$tok (hint: pass --tokenizers DIR with llama2, llama3, qwen3, gemma3)" >&2
    exit 2
  fi
  "$axolotl" -q create-tiny --family "$family" --tokenizer "$tokdir" --output "$out/$name" --force --seed 7
  [[ "$tok" == llama31 ]] && rm -rf "$tokdir"
  echo "$out/$name: $family, tokenizer $tok"
done <<< "$models"
