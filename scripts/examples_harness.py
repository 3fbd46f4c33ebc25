#!/usr/bin/env python3
"""Runs Python Axolotl's example configs through this project, offline.

For every Axolotl config (a YAML file with base_model) under CONFIGS it
  1. guesses the model family from base_model (then model_type, then the folder name),
  2. swaps base_model (and tokenizer_config / base_model_config) for MODELS/<family> when that tiny
     model exists, and every dataset for a generated local JSONL file of the same type,
  3. runs `axolotl validate` and, when that passes, `axolotl train --max-steps 2` (sequence_len
     capped at --max-seq-len, output and prepared data under OUT),
and prints a table per family: configs / validated / trained / refused-by-name / other failures.
A refusal "by name" is a config error that names what is missing (an unsupported key, value or
architecture); "unknown key" or a crash counts as another failure. Needs no network: Hub ids are
never fetched (HF_HUB_OFFLINE=1). Only the Python standard library and PyYAML.

  scripts/examples_harness.py --configs /tmp/examples --models /tmp/tiny-models --axolotl build/axolotl
  scripts/examples_harness.py --keys /tmp/examples      # the key sweep: every key and where it is used

MODELS holds one folder per family (llama, mistral, qwen2, gemma, ...), each a Hugging Face model
folder (config.json, weights, tokenizer files), e.g. `axolotl create-tiny --output MODELS/llama`.
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

# base_model substrings -> family, most specific first.
FAMILY_PATTERNS = [
    ("mixtral", "mixtral"), ("llama-4", "llama4"), ("llama4", "llama4"), ("llava", "llava"),
    ("mllama", "mllama"), ("vision", "vision"), ("codellama", "llama"), ("tinyllama", "llama"),
    ("open_llama", "llama"), ("openllama", "llama"), ("llama", "llama"), ("smollm", "llama"),
    ("magistral", "mistral"), ("devstral", "mistral"), ("ministral", "mistral"), ("mistral", "mistral"),
    ("qwen3", "qwen3"), ("qwen2.5-vl", "qwen2-vl"), ("qwen2-vl", "qwen2-vl"), ("qwen2", "qwen2"),
    ("qwen", "qwen"), ("gemma-3n", "gemma3n"), ("gemma3n", "gemma3n"), ("gemma-3", "gemma3"),
    ("gemma3", "gemma3"), ("gemma-2", "gemma2"), ("gemma2", "gemma2"), ("gemma", "gemma"),
    ("phi-3", "phi3"), ("phi3", "phi3"), ("phi-4", "phi3"), ("phi", "phi"), ("falcon", "falcon"),
    ("mamba", "mamba"), ("jamba", "jamba"), ("deepseek", "deepseek"), ("cohere", "cohere"),
    ("command-r", "cohere"), ("gpt-oss", "gpt-oss"), ("glm", "glm"), ("olmo", "olmo"),
    ("granite", "granite"), ("pythia", "gpt-neox"), ("gpt-neox", "gpt-neox"), ("redpajama", "gpt-neox"),
    ("mpt", "mpt"), ("btlm", "btlm"), ("cerebras", "btlm"), ("stablelm", "stablelm"), ("xgen", "llama"),
    ("lfm", "lfm2"), ("seed", "seed"), ("hunyuan", "hunyuan"), ("apertus", "apertus"), ("arcee", "arcee"),
]


def family_of(cfg, rel_path):
    for text in (str(cfg.get("base_model", "")), str(cfg.get("model_type", "")), rel_path):
        low = text.lower()
        for pattern, family in FAMILY_PATTERNS:
            if pattern in low:
                return family
    parts = rel_path.split("/")
    if parts[0] == "examples" and len(parts) > 1:
        parts = parts[1:]
    return parts[1] if parts[0] == "archived" and len(parts) > 1 else parts[0]


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


def rows_for(entry, n=48):
    """Rows for a dataset entry's type; None when the type has no local stand-in here."""
    t = entry.get("type")
    tname = t if isinstance(t, str) else ("custom" if isinstance(t, dict) else "")
    base = tname.split(".")[0].split(":")[0]
    if isinstance(t, dict):  # user-defined prompt format: write the columns it names
        cols = {t.get("field_instruction", "instruction"): None, t.get("field_input", "input"): None,
                t.get("field_output", "output"): None, t.get("field_system", "system"): None}
        return [{k: sentence(i + j, 6) for j, k in enumerate(cols) if k} for i in range(n)]
    if base in ("alpaca", "alpaca_chat", "alpaca_w_system", "oasst", "gpteacher", "reflection", "explainchoice",
                "concisechoice", "summarizetldr", "jeopardy", "creative_acr", "context_qa", "orca_mini"):
        return [{"instruction": "Repeat: " + sentence(i, 5), "input": "", "output": sentence(i, 5),
                 "system": "You are helpful.", "question": sentence(i, 5), "answer": sentence(i + 1, 5),
                 "category": "words", "text": sentence(i), "response": sentence(i, 5)} for i in range(n)]
    if base in ("completion", "pretrain", ""):
        field = entry.get("field") or entry.get("text_column") or "text"
        return [{field: sentence(i, 16)} for i in range(n)]
    if base in ("chat_template", "sharegpt", "chatml", "llama3", "messages"):
        return chat_rows(entry, n)
    if base == "input_output":
        return [{"segments": [{"label": False, "text": "Q: " + sentence(i, 5)},
                              {"label": True, "text": " A: " + sentence(i + 1, 5)}]} for i in range(n)]
    return None


def swap(cfg, model_dir, work, max_seq_len):
    """The config with base_model and datasets swapped; notes on what else was changed."""
    c = dict(cfg)
    changes = []
    if isinstance(c.get("sequence_len"), int) and c["sequence_len"] > max_seq_len:
        c["sequence_len"] = max_seq_len  # a 2-step run on a tiny model; the rows are short anyway
        changes.append("sequence_len capped")
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
            rows = rows_for(e)
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

REFUSED = re.compile(r"not supported|unsupported|not implemented|is not a supported|are not supported|"
                     r"not a module|matches no module|unknown (value|adapter|format|type)")


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
    lines = [l.strip() for l in err.splitlines() if l.strip()]
    for i, l in enumerate(lines):
        if l.startswith("error:"):
            return " ".join(lines[i:i + 2])[:200]
    return (lines[-1] if lines else "")[:200]


def classify(rc, err):
    if rc == 0:
        return "ok"
    if rc == 2 and "unknown key" not in err and REFUSED.search(err):
        return "refused"
    return "failed"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--configs", help="folder of Axolotl configs (searched recursively)")
    ap.add_argument("--models", help="folder of tiny models, one sub-folder per family")
    ap.add_argument("--axolotl", default="build/axolotl")
    ap.add_argument("--out", default="/tmp/examples-harness")
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--max-seq-len", type=int, default=256, help="cap on sequence_len (speed)")
    ap.add_argument("--only", default="", help="regex on config paths")
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
    models = {d: os.path.abspath(os.path.join(a.models, d)) for d in os.listdir(a.models)
              if os.path.isdir(os.path.join(a.models, d))}
    stats = collections.OrderedDict()
    rows = []
    for rel, cfg in load_configs(a.configs):
        if a.only and not re.search(a.only, rel):
            continue
        fam = family_of(cfg, rel)
        s = stats.setdefault(fam, collections.Counter())
        s["configs"] += 1
        if fam not in models:
            s["no tiny model"] += 1
            rows.append((rel, fam, "no tiny model", "", ""))
            continue
        work = os.path.join(a.out, "work", re.sub(r"[^A-Za-z0-9_.-]", "_", rel))
        os.makedirs(work, exist_ok=True)
        swapped, _ = swap(cfg, models[fam], work, a.max_seq_len)
        path = os.path.join(work, "config.yml")
        with open(path, "w", encoding="utf-8") as f:
            yaml.safe_dump(swapped, f, sort_keys=False)
        log = os.path.join(a.out, "logs", os.path.basename(work) + ".log")
        rc, err = run([a.axolotl, "validate", path], log, 60, env)
        v = classify(rc, err)
        if v != "ok":
            s["refused-by-name" if v == "refused" else "failed"] += 1
            rows.append((rel, fam, "validate " + v, first_error(err), log))
            continue
        s["validated"] += 1
        if a.validate_only:
            rows.append((rel, fam, "validated", "", log))
            continue
        rc, err = run([a.axolotl, "train", path, "--max-steps", str(a.steps)], log, a.timeout, env)
        t = classify(rc, err)
        if t == "ok":
            s["trained"] += 1
        else:
            s["train " + ("refused-by-name" if t == "refused" else "failed")] += 1
        rows.append((rel, fam, "trained" if t == "ok" else "train " + t, "" if t == "ok" else first_error(err), log))
        shutil.rmtree(os.path.join(work, "out"), ignore_errors=True)
        shutil.rmtree(os.path.join(work, "prepared"), ignore_errors=True)

    with open(os.path.join(a.out, "results.tsv"), "w", encoding="utf-8") as f:
        f.write("config\tfamily\tresult\tfirst error\tlog\n")
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
