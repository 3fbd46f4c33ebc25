#!/usr/bin/env bash
# Builds the tiny model folders scripts/examples_harness.py swaps in for base_model: one per family, each
# with its family's real tokenizer (so chat templates and special tokens of the family's configs exist).
#   scripts/harness_models.sh [--axolotl BIN] [--tokenizers DIR] [--only NAME,...] OUT
# OUT/<name> for name in llama (Llama-2 sentencepiece), llama3 (Llama-3 tokenizer.json), llama31 (Llama-3.1),
# mistral, qwen2, qwen3 (Qwen tokenizer), gemma2, gemma3 (Gemma tokenizer), phi3. 4 layers, hidden 128, MLP
# 512 (a multiple of the QAT groups and fp4 blocks of the qat: examples, as the real models' widths are);
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
# Bases whose own tokenizer holds special tokens the Llama-2 one lacks (their configs name them):
# a 512-piece sentencepiece model trained on the bundled corpus with those pieces, so that the stand-in
# has them as single tokens as the real tokenizer does. Yi: bos <|startoftext|>, eos <|endoftext|>;
# xgen (tiktoken): <|endoftext|> as every special token.
spm_tokenizer() {
  local dst="$1" bos="$2" eos="$3" extra="$4"
  mkdir -p "$dst"
  "${PYTHON:-/usr/bin/python3}" - "$here/examples/tiny/corpus.txt" "$dst" "$bos" "$eos" "$extra" <<'PY'
import os, sys
import sentencepiece as spm
corpus, dst, bos, eos, extra = sys.argv[1:6]
spm.SentencePieceTrainer.train(input=corpus, model_prefix=os.path.join(dst, "tokenizer"), vocab_size=512,
                               model_type="bpe", byte_fallback=True, bos_piece=bos, eos_piece=eos,
                               user_defined_symbols=[extra] if extra else [], minloglevel=2)
os.remove(os.path.join(dst, "tokenizer.vocab"))
PY
}

models="llama llama llama2
llama3 llama llama3
llama31 llama llama31
mistral mistral llama2
qwen2 qwen2 qwen3
qwen3 qwen3 qwen3
gemma2 gemma2 gemma3
gemma3 gemma3 gemma3
phi3 phi3 llama2
yi llama yi
xgen llama xgen"

mkdir -p "$out"
while read -r name family tok; do
  if [[ -n "$only" && ",$only," != *",$name,"* ]]; then continue; fi
  tokdir="$tokenizers/$tok"
  if [[ "$tok" == llama31 ]]; then
    tokdir="$out/.llama31-tokenizer"
    [[ -d "$tokenizers/llama3" ]] && llama31_tokenizer "$tokenizers/llama3" "$tokdir"
  fi
  if [[ "$tok" == yi || "$tok" == xgen ]]; then
    tokdir="$out/.$tok-tokenizer"
    if [[ "$tok" == yi ]]; then spm_tokenizer "$tokdir" "<|startoftext|>" "<|endoftext|>" ""
    else spm_tokenizer "$tokdir" "<s>" "</s>" "<|endoftext|>"; fi
  fi
  if [[ ! -d "$tokdir" ]]; then
    echo "error: tokenizer folder not found: $tokenizers/$tok (hint: pass --tokenizers DIR with llama2, llama3, qwen3, gemma3)" >&2
    exit 2
  fi
  "$axolotl" -q create-tiny --family "$family" --tokenizer "$tokdir" --output "$out/$name" --force --seed 7 \
    --intermediate-size 512
  [[ "$tok" == llama31 || "$tok" == yi || "$tok" == xgen ]] && rm -rf "$tokdir"
  echo "$out/$name: $family, tokenizer $tok"
done <<< "$models"
