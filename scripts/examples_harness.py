#!/usr/bin/env python3
"""Runs Python Axolotl's example configs through this project, offline.

For every Axolotl config (a YAML file with base_model) under CONFIGS it
  1. guesses the model family from base_model (then model_type, then the folder name); MoE, multimodal
     and hybrid variants (Qwen3-30B-A3B, Qwen3.5, Mistral-Small-3.1, ...) are families of their own,
  2. swaps base_model (and tokenizer_config / base_model_config) for the family's tiny model in MODELS
     (Llama-3.x bases get the Llama-3 / Llama-3.1 tokenizer's folder), and every dataset for a generated
     local JSONL file of the same type (preference rows under rl:, pre-tokenized rows when type is empty),
  3. runs `axolotl validate` and, when that passes, `axolotl train --max-steps 2` (sequence_len capped at
     --max-seq-len, micro batch and accumulation at 2, fp16 -> bf16 without a GPU; each log names what
     was changed), output and prepared data under OUT,
and prints a table per family: configs / validated / trained / refused-by-name / other failures.
A refusal "by name" is a config error (exit 2) each of whose problems says that a capability is not
supported or not implemented; unknown keys or values, typos, missing files and crashes are other
failures, whatever the warnings or hints say. Needs no network: Hub ids are never fetched
(HF_HUB_OFFLINE=1). Only the Python standard library and PyYAML.

  scripts/examples_harness.py --configs /tmp/examples --models /tmp/tiny-models --axolotl build/bin/axolotl
  scripts/examples_harness.py --keys /tmp/examples      # the key sweep: every key and where it is used

MODELS holds one folder per family (llama, llama3, llama31, mistral, qwen2, ...), each a Hugging Face model
folder (config.json, weights, tokenizer files): scripts/harness_models.sh MODELS builds them all.
Details per config go to OUT/results.tsv; each run's log to OUT/logs/.
"""
import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys

import yaml

# base_model substrings -> family, most specific first. Families of architectures this project does not
# load get their own names (MoE, multimodal and hybrid variants included), so that a config is never
# counted under a supported family it does not belong to.
FAMILY_PATTERNS = [
    ("mixtral", "mixtral"), ("llama-4", "llama4"), ("llama4", "llama4"), ("llava", "llava"),
    ("mllama", "mllama"), ("vision", "vision"), ("codellama", "llama"), ("tinyllama", "llama"),
    ("open_llama", "llama"), ("openllama", "llama"), ("llama", "llama"), ("smollm", "llama"),
    ("orpheus", "llama"),  # canopylabs/orpheus-3b: a Llama-3.2-3B fine-tune
    ("pixtral", "pixtral"), ("voxtral", "voxtral"), ("mistral-small-4", "mistral4"),
    ("mistral-small-3.1", "mistral3"), ("mistral-medium-3.5", "mistral3"), ("ministral-3-", "mistral3"),
    ("magistral-small-2509", "mistral3"),  # the vision release; 2506/2507 are text MistralForCausalLM
    ("magistral", "mistral"), ("devstral", "mistral"), ("ministral", "mistral"), ("mistral", "mistral"),
    ("qwen3-next", "qwen3-next"), ("qwen3.5", "qwen3.5"), ("qwen3_5", "qwen3.5"), ("qwen3-vl", "qwen3-vl"),
    ("qwen3", "qwen3"), ("qwen2.5-vl", "qwen2-vl"), ("qwen2-vl", "qwen2-vl"), ("qwen1.5-moe", "qwen2-moe"),
    ("qwen2", "qwen2"), ("deepcoder", "qwen2"),  # agentica DeepCoder-14B: a DeepSeek-R1-Distill-Qwen-14B fine-tune
    ("cogito-v1-preview-qwen", "qwen2"),  # deepcogito's Qwen2.5 fine-tunes
    ("plano-orchestrator", "qwen3"),  # katanemo Plano-Orchestrator-4B: a Qwen3-4B fine-tune (chat_template qwen3)
    ("qwen", "qwen"), ("gemma-4", "gemma4"), ("gemma4", "gemma4"),
    ("gemma-3n", "gemma3n"), ("gemma3n", "gemma3n"), ("gemma-3", "gemma3"),
    ("gemma3", "gemma3"), ("gemma-2", "gemma2"), ("gemma2", "gemma2"), ("gemma", "gemma"),
    ("phi-3", "phi3"), ("phi3", "phi3"), ("phi-4", "phi3"), ("phi", "phi"), ("falcon", "falcon"),
    ("mamba", "mamba"), ("jamba", "jamba"), ("deepseek", "deepseek"), ("cohere", "cohere"),
    ("command-r", "cohere"), ("gpt-oss", "gpt-oss"), ("glm", "glm"), ("olmo", "olmo"),
    ("granite", "granite"), ("pythia", "gpt-neox"), ("gpt-neox", "gpt-neox"), ("redpajama", "gpt-neox"),
    ("mpt", "mpt"), ("btlm", "btlm"), ("cerebras", "btlm"), ("stablelm", "stablelm"), ("xgen", "llama"),
    ("yi-", "llama"), ("lfm", "lfm2"), ("seed", "seed"), ("hunyuan", "hunyuan"), ("apertus", "apertus"),
    ("arcee", "arcee"),
]
MOE_SIZE = re.compile(r"\d+b-a\d+b|\d+ba\d+b")  # Qwen3-30B-A3B, qwen3_30ba3b: mixture-of-experts variants


def family_of(cfg, rel_path):
    """The config's model family (the table's row)."""
    for text in (str(cfg.get("base_model", "")), str(cfg.get("model_type", "")), rel_path):
        low = text.lower()
        for pattern, family in FAMILY_PATTERNS:
            if pattern in low:
                if family in ("qwen3", "qwen2") and MOE_SIZE.search(low):
                    return family + "-moe"
                return family
    parts = rel_path.split("/")
    if parts[0] == "examples" and len(parts) > 1:
        parts = parts[1:]
    return parts[1] if parts[0] == "archived" and len(parts) > 1 else parts[0]


LLAMA3 = re.compile(r"llama-?3(?!\d)|smollm")  # not CodeLlama-34b
LLAMA31 = re.compile(r"llama-?3\.[123]|orpheus|cogito-v1-preview-llama")  # 3.1-3.3 and their fine-tunes


def model_of(cfg, family):
    """The tiny model folder for a config: its family's, with the Llama-3 (3.1) tokenizer for Llama-3.x bases
    and a tokenizer holding Yi's or xgen's special tokens for those bases."""
    base = str(cfg.get("base_model", "")).lower()
    if family == "llama" and LLAMA31.search(base):
        return "llama31"
    if family == "llama" and LLAMA3.search(base):
        return "llama3"
    if family == "llama" and ("/yi-" in base or "xgen" in base):
        return "yi" if "/yi-" in base else "xgen"  # their special tokens (scripts/harness_models.sh)
    return family


def load_configs(folder):
    out = []
    for root, _, files in os.walk(folder):
        for name in sorted(files):
            if not name.endswith((".yml", ".yaml")):
                continue
            path = os.path.join(root, name)
            try:
                with open(path, encoding="utf-8") as f:
                    cfg = yaml.safe_load(f)
            except yaml.YAMLError:
                cfg = None
            if isinstance(cfg, dict) and "base_model" in cfg:
                out.append((os.path.relpath(path, folder), cfg))
    return sorted(out, key=lambda x: x[0])


# --- local data of the same type ---------------------------------------------------------------

WORDS = "the quick brown fox jumps over a lazy dog while seven small birds sing in the old green tree".split()


def sentence(i, n=12):
    return " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(n))


def chat_rows(entry, n):
    field = entry.get("field_messages") or ("conversations" if entry.get("type") == "sharegpt" else "messages")
    mapping = dict(entry.get("message_property_mappings") or {})
    role_key = entry.get("message_field_role") or mapping.get("role") or (
        "from" if entry.get("type") == "sharegpt" else "role")
    content_key = entry.get("message_field_content") or mapping.get("content") or (
        "value" if entry.get("type") == "sharegpt" else "content")
    roles = entry.get("roles") or {}
    user = (roles.get("user") or ["human" if role_key == "from" else "user"])[0]
    assistant = (roles.get("assistant") or ["gpt" if role_key == "from" else "assistant"])[0]
    rows = []
    for i in range(n):
        turns = [{role_key: user, content_key: "question %d: %s?" % (i, sentence(i, 6))},
                 {role_key: assistant, content_key: sentence(i + 1, 10) + "."}]
        rows.append({field: turns})
    return rows


def preference_rows(entry, tname, n):
    """Rows of a preference dataset (rl: dpo/ipo/orpo/kto/simpo) for the strategy tname."""
    rows = []
    for i in range(n):
        q, good, bad = "question %d: %s?" % (i, sentence(i, 6)), sentence(i + 1, 8) + ".", sentence(i + 5, 3)
        if tname == "chat_template.default" or tname == "chat_template":
            field = entry.get("field_messages") or "messages"
            mapping = dict(entry.get("message_property_mappings") or {})
            role, content = mapping.get("role", "role"), mapping.get("content", "content")
            rows.append({field: [{role: "system", content: "You are helpful."}, {role: "user", content: q}],
                         entry.get("field_chosen") or "chosen": {role: "assistant", content: good},
                         entry.get("field_rejected") or "rejected": {role: "assistant", content: bad}})
            continue
        # chatml.* / llama3.* / chat_template.argilla: message lists for the *argilla* and *ultra* strategies,
        # strings for the others; every prompt column the strategies read (prompt, question, input, system).
        as_list = "argilla" in tname or "ultra" in tname
        def reply(text):
            return [{"role": "user", "content": q}, {"role": "assistant", "content": text}] if as_list else text
        rows.append({"system": "You are helpful.", "prompt": q, "question": q, "input": q,
                     "instruction": q, "chosen": reply(good), "rejected": reply(bad),
                     "completion": good, "label": i % 2 == 0})  # completion/label: KTO's columns
    return rows


def rows_for(entry, n=48, rl=None, pretraining=False):
    """Rows for a dataset entry's type; None when the type has no local stand-in here."""
    t = entry.get("type")
    tname = t if isinstance(t, str) else ("custom" if isinstance(t, dict) else "")
    base = tname.split(".")[0].split(":")[0]
    if base == "bradley_terry":  # reward_model pairs: system / input / chosen / rejected strings; an empty
        # system, as in many rows of argilla/distilabel-intel-orca-dpo-pairs (Gemma's template refuses one)
        return [dict(r, system="") for r in preference_rows(entry, tname, n)]
    if base == "stepwise_supervised":  # process_reward_model rows (trl-lib/math_shepherd's columns)
        return [{"prompt": f"What is {i} + {i + 1}?",
                 "completions": [f"Step 1: {i} + {i + 1} is {2 * i + 1}.", f"Step 2: so the answer is {2 * i + 1 + i % 2}."],
                 "labels": [True, i % 2 == 0]} for i in range(n)]
    if rl in ("dpo", "ipo", "orpo", "kto", "simpo") and (
            base in ("chatml", "llama3") or tname.startswith("chat_template")):
        return preference_rows(entry, tname, n)
    if isinstance(t, dict):  # user-defined prompt format: write the columns it names
        cols = {t.get("field_instruction", "instruction"): None, t.get("field_input", "input"): None,
                t.get("field_output", "output"): None, t.get("field_system", "system"): None}
        return [{k: sentence(i + j, 6) for j, k in enumerate(cols) if k} for i in range(n)]
    if base in ("alpaca", "alpaca_chat", "alpaca_w_system", "oasst", "gpteacher", "reflection", "explainchoice",
                "concisechoice", "summarizetldr", "jeopardy", "creative_acr", "context_qa", "orca_mini"):
        return [{"instruction": "Repeat: " + sentence(i, 5), "input": "", "output": sentence(i, 5),
                 "system": "You are helpful.", "question": sentence(i, 5), "answer": sentence(i + 1, 5),
                 "category": "words", "text": sentence(i), "response": sentence(i, 5)} for i in range(n)]
    if base == "" and not pretraining:  # no type: Axolotl reads pre-tokenized rows
        ids = [[300 + (i * 37 + k * 11) % 500 for k in range(24)] for i in range(n)]
        return [{"input_ids": r, "attention_mask": [1] * len(r), "labels": r} for r in ids]
    if base in ("completion", "pretrain", ""):
        field = entry.get("field") or entry.get("text_column") or "text"
        return [{field: sentence(i, 16)} for i in range(n)]
    if base in ("chat_template", "sharegpt", "chatml", "llama3", "messages"):
        return chat_rows(entry, n)
    if base == "input_output":
        return [{"segments": [{"label": False, "text": "Q: " + sentence(i, 5)},
                              {"label": True, "text": " A: " + sentence(i + 1, 5)}]} for i in range(n)]
    return None


# Bases whose own tokenizer is not the stand-in's (the tiny folder has its family's usual tokenizer): the
# special tokens such a config names exist in the real base but may be new to the stand-in.
OWN_TOKENIZER = re.compile(r"yi-|xgen|open_llama|smollm")


def swap(cfg, model_dir, work, max_seq_len, cpu_only):
    """The config with base_model and datasets swapped; notes on what else was changed."""
    c = dict(cfg)
    changes = []
    if cpu_only and c.get("fp16") is True:
        c["fp16"], c["bf16"] = False, "auto"  # float16 needs CUDA; the run is about the config, not the precision
        changes.append("fp16 -> bf16: auto (no GPU here)")
    if cpu_only and c.get("float16") is True:
        c["float16"], c["bfloat16"] = False, True  # half-precision weights: bfloat16 is the CPU's
        changes.append("float16 -> bfloat16 (no GPU here)")
    if isinstance(c.get("sequence_len"), int) and c["sequence_len"] > max_seq_len:
        c["sequence_len"] = max_seq_len  # a 2-step run on a tiny model; the rows are short anyway
        changes.append("sequence_len capped")
    for key, cap in (("micro_batch_size", 2), ("eval_batch_size", 2), ("gradient_accumulation_steps", 2)):
        if isinstance(c.get(key), int) and c[key] > cap:
            c[key] = cap  # 2 steps of a tiny model: the memory of large batches buys nothing here
            changes.append(key + " capped")
    c["base_model"] = model_dir
    for k in ("base_model_config", "tokenizer_config"):
        if k in c:
            c[k] = model_dir
    for k in ("resume_from_checkpoint", "lora_model_dir", "hub_model_id"):
        if c.get(k):
            changes.append("dropped " + k)
            c.pop(k)
    c["output_dir"] = os.path.join(work, "out")
    c["dataset_prepared_path"] = os.path.join(work, "prepared")
    for key in ("datasets", "test_datasets", "pretraining_dataset"):
        entries = c.get(key)
        if entries is None:
            continue
        if isinstance(entries, dict):
            entries = [entries]
        new = []
        for i, e in enumerate(entries):
            e = dict(e) if isinstance(e, dict) else {"path": str(e)}
            pre = key == "pretraining_dataset"
            rows = rows_for(e, rl=None if pre else cfg.get("rl"), pretraining=pre)
            if rows is None:
                new.append(e)  # the type decides (refused by name, or not a stand-in here)
                continue
            path = os.path.join(work, "%s-%d.jsonl" % (key, i))
            with open(path, "w", encoding="utf-8") as f:
                for r in rows:
                    f.write(json.dumps(r) + "\n")
            for drop in ("name", "data_files", "split", "revision", "ds_type", "data_dir"):
                e.pop(drop, None)
            e["path"] = path
            new.append(e)
        c[key] = new
    return c, changes


# --- running ---------------------------------------------------------------------------------

# A refusal "by name" says that a capability is missing here; typos, unknown keys, bad values, missing files
# and crashes are other failures, whatever they say.
REFUSED = re.compile(r"\b(is|are) not supported|\bnot supported\b|\bunsupported\b|\bnot implemented\b|"
                     r"\bis Python-only\b|\bare Python-only\b")
NOT_A_REFUSAL = re.compile(r"unknown key|did you mean|internal:|not found|no such file|out of memory|timed out")


def error_block(err):
    """The problems of the error the command stopped with: the lines from the first 'error:' on, without
    the 'hint:' lines (a hint may mention what is not supported without being the reason)."""
    lines = err.splitlines()
    for i, l in enumerate(lines):
        if l.startswith("error:"):
            block = [l[len("error:"):].strip()] + [x.strip() for x in lines[i + 1:]]
            return [x for x in block if x and not x.startswith("hint:")]
    return []


def run(cmd, log, timeout, env):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = 124, e.stdout or "", (e.stderr or "") + "\n(timed out)"
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        if isinstance(err, bytes):
            err = err.decode(errors="replace")
    with open(log, "a", encoding="utf-8") as f:
        f.write("$ %s\n[rc %d]\n%s\n%s\n" % (" ".join(cmd), rc, out[-4000:], err[-8000:]))
    return rc, err


def first_error(err):
    problems = error_block(err)
    if problems:
        return " | ".join(problems)[:300]
    lines = [l.strip() for l in err.splitlines() if l.strip()]
    return (lines[-1] if lines else "")[:300]


def classify(rc, err):
    """ok, refused (every problem names a missing capability, config exit code 2) or failed."""
    if rc == 0:
        return "ok"
    problems = error_block(err)
    if problems and re.match(r"\d+ problems? in the config:$", problems[0]):
        problems = problems[1:]
    if rc == 2 and problems and all(REFUSED.search(p) and not NOT_A_REFUSAL.search(p) for p in problems):
        return "refused"
    return "failed"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--configs", help="folder of Axolotl configs (searched recursively)")
    ap.add_argument("--models", help="folder of tiny models, one sub-folder per family")
    ap.add_argument("--axolotl", default="build/bin/axolotl")
    ap.add_argument("--out", default="/tmp/examples-harness")
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--max-seq-len", type=int, default=256, help="cap on sequence_len (speed)")
    ap.add_argument("--only", default="", help="regex on config paths")
    ap.add_argument("--families", default="", help="regex on family names (e.g. '^(llama|qwen3)$')")
    ap.add_argument("--validate-only", action="store_true", help="skip the training runs")
    ap.add_argument("--keys", metavar="FOLDER", help="print the top-level and dataset keys used in FOLDER")
    a = ap.parse_args()

    if a.keys:
        top, ds = collections.Counter(), collections.Counter()
        for _, cfg in load_configs(a.keys):
            top.update(cfg.keys())
            for key in ("datasets", "test_datasets", "pretraining_dataset"):
                v = cfg.get(key)
                for e in (v if isinstance(v, list) else [v] if isinstance(v, dict) else []):
                    if isinstance(e, dict):
                        ds.update(e.keys())
        for k in sorted(top):
            print("top\t%s\t%d" % (k, top[k]))
        for k in sorted(ds):
            print("dataset\t%s\t%d" % (k, ds[k]))
        return 0
    if not a.configs or not a.models:
        ap.error("--configs and --models are required (or --keys)")

    shutil.rmtree(a.out, ignore_errors=True)
    os.makedirs(os.path.join(a.out, "logs"))
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    cpu_only = shutil.which("nvidia-smi") is None
    models = {d: os.path.abspath(os.path.join(a.models, d)) for d in os.listdir(a.models)
              if os.path.isdir(os.path.join(a.models, d))}
    stats = collections.OrderedDict()
    rows = []
    for rel, cfg in load_configs(a.configs):
        if a.only and not re.search(a.only, rel):
            continue
        fam = family_of(cfg, rel)
        if a.families and not re.search(a.families, fam):
            continue
        s = stats.setdefault(fam, collections.Counter())
        s["configs"] += 1
        model = model_of(cfg, fam)
        if model not in models:
            s["no tiny model"] += 1
            rows.append((rel, fam, model, "no tiny model", "", ""))
            continue
        work = os.path.join(a.out, "work", re.sub(r"[^A-Za-z0-9_.-]", "_", rel))
        os.makedirs(work, exist_ok=True)
        swapped, changes = swap(cfg, models[model], work, a.max_seq_len, cpu_only)
        path = os.path.join(work, "config.yml")
        with open(path, "w", encoding="utf-8") as f:
            yaml.safe_dump(swapped, f, sort_keys=False)
        log = os.path.join(a.out, "logs", os.path.basename(work) + ".log")
        with open(log, "w", encoding="utf-8") as f:
            f.write("# %s (family %s, model %s); swapped base_model and datasets%s\n"
                    % (rel, fam, model, "".join("; " + c for c in changes)))
        rc, err = run([a.axolotl, "validate", path], log, 60, env)
        v = classify(rc, err)
        if v != "ok":
            s["refused-by-name" if v == "refused" else "failed"] += 1
            rows.append((rel, fam, model, "validate " + v, first_error(err), log))
            continue
        s["validated"] += 1
        if a.validate_only:
            rows.append((rel, fam, model, "validated", "", log))
            continue
        rc, err = run([a.axolotl, "train", path, "--max-steps", str(a.steps)], log, a.timeout, env)
        if (rc != 0 and "past the model's embedding" in err and swapped.get("adapter")
                and OWN_TOKENIZER.search(str(cfg.get("base_model", "")).lower())):
            # The real base's tokenizer has the tokens the config names; the stand-in's lacks them.
            swapped["lora_modules_to_save"] = ["embed_tokens", "lm_head"]
            with open(path, "w", encoding="utf-8") as f:
                yaml.safe_dump(swapped, f, sort_keys=False)
            with open(log, "a", encoding="utf-8") as f:
                f.write("# retry with lora_modules_to_save: [embed_tokens, lm_head] (tokens new to the stand-in "
                        "tokenizer, present in the base's own)\n")
            rc, err = run([a.axolotl, "train", path, "--max-steps", str(a.steps)], log, a.timeout, env)
        t = classify(rc, err)
        if t == "ok":
            s["trained"] += 1
        else:
            s["train " + ("refused-by-name" if t == "refused" else "failed")] += 1
        rows.append((rel, fam, model, "trained" if t == "ok" else "train " + t, "" if t == "ok" else first_error(err), log))
        shutil.rmtree(os.path.join(work, "out"), ignore_errors=True)
        shutil.rmtree(os.path.join(work, "prepared"), ignore_errors=True)

    with open(os.path.join(a.out, "results.tsv"), "w", encoding="utf-8") as f:
        f.write("config\tfamily\tmodel\tresult\terror\tlog\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    cols = ["configs", "validated", "trained", "refused-by-name", "train refused-by-name", "failed", "train failed",
            "no tiny model"]
    print("| family | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    total = collections.Counter()
    for fam in sorted(stats, key=lambda f: (-stats[f]["configs"], f)):
        total.update(stats[fam])
        print("| %s | %s |" % (fam, " | ".join(str(stats[fam][c]) for c in cols)))
    print("| **all** | %s |" % " | ".join(str(total[c]) for c in cols))
    print("details: %s" % os.path.join(a.out, "results.tsv"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
