#!/usr/bin/python3
"""Goldens for the preference dataset strategies: every DPO and KTO strategy of Axolotl's
prompt_strategies/{dpo,kto}/{chatml,llama3,user_defined}.py, run as Axolotl's own transform_fn on rows
of each strategy's shape. The modules are read from the Axolotl mirror (a bare git repository; they
import nothing) and executed unchanged, so the expected strings are Axolotl's f-strings themselves.

Each case: kind (dpo | kto), type (e.g. "llama3.icr"), settings (the user_defined `type:` map, else
{}), row, and want ({prompt, chosen, rejected} or {prompt, completion, label as bool}, or {error: true} where Axolotl's function raises on the row).

Usage: /usr/bin/python3 tests/reference/preference_strategy_reference.py [AXOLOTL_GIT_DIR] \
           > tests/assets/data/preference_strategies_golden.json
Test: tests/data/test_preference.cpp (PreferenceStrategy.EveryStrategyRendersAxolotlsStrings).
"""
import copy
import json
import subprocess
import sys
import types

GIT_DIR = sys.argv[1] if len(sys.argv) > 1 else "/work/.mirror/axolotl-ai-cloud+axolotl/repo"


def load(path):
    source = subprocess.run(["git", "--git-dir", GIT_DIR, "show", "HEAD:src/axolotl/prompt_strategies/" + path],
                            check=True, capture_output=True, text=True).stdout
    module = types.ModuleType(path)
    exec(compile(source, path, "exec"), module.__dict__)  # noqa: S102 (Axolotl's module, run as is)
    return module


def chat(user, reply):
    return [{"role": "user", "content": user}, {"role": "assistant", "content": reply}]


Q, A, B = "What is {2+2}?\nSay it — briefly.", "4, ünï", "5"
SYSTEMS = ["Be brief.", ""]

# DPO rows by the keys each strategy reads (system present and empty/falsy).
DPO_ROWS = {
    "default": [{"system": s, "prompt": Q, "chosen": A, "rejected": B} for s in SYSTEMS]
    + [{"input": Q, "question": "no", "chosen_response": A, "rejected_response": B},
       {"question": Q, "instruction": "no", "chosen": A, "rejected": B, "system": None},
       {"instruction": Q, "chosen": A, "rejected_response": B}],
    "argilla_chat": [{"chosen": chat(Q, A), "rejected": chat(Q, B), "system": "ignored"}],
    "icr": [{"system": s, "input": Q, "chosen": A, "rejected": B} for s in SYSTEMS],
    "intel": [{"system": s, "question": Q, "chosen": A, "rejected": B} for s in SYSTEMS],
    "prompt_pairs": [{"system": s, "prompt": Q, "chosen": A, "rejected": B} for s in SYSTEMS] + [{"prompt": Q, "chosen": A, "rejected": B}],
    "ultra": [{"system": s, "prompt": Q, "chosen": chat(Q, A), "rejected": chat(Q, B)} for s in SYSTEMS],
}
KTO_ROWS = {
    "argilla": [{"system": s, "instruction": Q, "completion": A, "label": lab} for s, lab in ((SYSTEMS[0], True), (None, False))],
    "argilla_chat": [{"completion": chat(Q, A), "system": "ignored", "label": 1}],
    "intel": [{"system": s, "question": Q, "completion": A, "label": lab} for s, lab in ((SYSTEMS[0], 0), ("", True))],
    "prompt_pairs": [{"system": s, "prompt": Q, "completion": A, "label": False} for s in SYSTEMS],
    "ultra": [{"system": s, "prompt": Q, "completion": A, "label": True} for s in SYSTEMS],
}
DPO_USER = [
    ({}, {"prompt": Q, "chosen": A, "rejected": B}),
    ({"field_prompt": "q", "field_system": "sys", "field_chosen": "good", "field_rejected": "bad",
      "prompt_format": "[{system}] {prompt} =>", "chosen_format": " {chosen}.", "rejected_format": " {rejected}!"},
     {"q": Q, "sys": "Be brief.", "good": A, "bad": B}),
    ({"prompt_format": "<{system}>{prompt}"}, {"prompt": Q, "chosen": A, "rejected": B}),  # no system: ""
]
KTO_USER = [
    ({}, {"prompt": Q, "completion": A, "label": True}),
    ({"field_prompt": "q", "field_system": "sys", "field_completion": "a", "field_label": "ok",
      "prompt_format": "[{system}] {prompt} =>", "completion_format": " {completion}."},
     {"q": Q, "sys": "Be brief.", "a": A, "ok": False}),
    ({"prompt_format": "{prompt} ({system})"}, {"prompt": Q, "completion": A, "label": 0, "system": ""}),  # falsy system
]


def cases():
    out = []
    for kind, rows_by_fn, keys in (("dpo", DPO_ROWS, ("prompt", "chosen", "rejected")),
                                   ("kto", KTO_ROWS, ("prompt", "completion", "label"))):
        for family in ("chatml", "llama3"):
            module = load(f"{kind}/{family}.py")
            for fn, rows in rows_by_fn.items():
                for row in rows:
                    got = getattr(module, fn)(None)(copy.deepcopy(row))
                    want = {k: got[k] for k in keys}
                    if kind == "kto":
                        want["label"] = bool(want["label"])
                    out.append({"kind": kind, "type": f"{family}.{fn}", "settings": {}, "row": row, "want": want})
        module = load(f"{kind}/user_defined.py")
        for settings, row in DPO_USER if kind == "dpo" else KTO_USER:
            try:
                got = module.default({"datasets": [{"type": settings}]})(copy.deepcopy(row))
            except KeyError:  # a format field the row cannot fill: Axolotl fails on the row
                out.append({"kind": kind, "type": "user_defined.default", "settings": settings, "row": row,
                            "want": {"error": True}})
                continue
            want = {k: got[k] for k in keys}
            if kind == "kto":
                want["label"] = bool(want["label"])
            out.append({"kind": kind, "type": "user_defined.default", "settings": settings, "row": row, "want": want})
    return out


if __name__ == "__main__":
    json.dump({"axolotl": subprocess.run(["git", "--git-dir", GIT_DIR, "rev-parse", "HEAD"], check=True,
                                         capture_output=True, text=True).stdout.strip(),
               "cases": cases()}, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
