#!/usr/bin/python3
"""Goldens for the chat-template preference strategies: Axolotl's dpo/chat_template.py (default,
argilla_chat) and orpo/chat_template.py (argilla), and the string strategies dpo/zephyr.py (nectar) and
dpo/passthrough.py (default), run as Axolotl's own transform_fn from the mirror. Axolotl's template
choice (utils/chat_templates/base.py, with its templates/ folder written to a temporary directory) and
handle_legacy_message_fields_logic (utils/schemas/utils.py) run unchanged too; what is stubbed: the
imports these modules only name (pydantic.BaseModel as a plain record with model_dump, the
PromptTokenizingStrategy / Prompter base classes, the logger) and the tokenizer, whose
apply_chat_template is transformers' Jinja2 set-up (chat_template_render.make_env) over messages,
add_generation_prompt, bos_token and eos_token.

Each case: kind (dpo | orpo), type, template (Axolotl's named template; "" for the string strategies),
settings (the dataset entry's keys), row, want ({prompt, chosen, rejected}, or {error: true} where
Axolotl's function raises on the row).

Usage: /usr/bin/python3 tests/reference/preference_chat_reference.py > tests/assets/data/preference_chat_golden.json
Test: tests/data/test_preference_chat.cpp (PreferenceChat.EveryChatStrategyRendersAxolotlsStrings).
"""
import copy
import json
import logging
import os
import subprocess
import sys
import tempfile
import types
import typing

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chat_template_render import ENV, MIRROR  # noqa: E402

SPECIAL = {"bos_token": "<s>", "eos_token": "</s>"}
TEMPLATES = ["chatml", "llama3", "phi_3", "qwen_25"]


def show(path):
    return subprocess.run(["git", "--git-dir", MIRROR, "show", "HEAD:" + path], check=True, capture_output=True,
                          text=True).stdout


def module(name, source=None, file=None, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    if file:
        m.__file__ = file
    sys.modules[name] = m
    if source is not None:
        exec(compile(source, file or name, "exec"), m.__dict__)  # noqa: S102 (Axolotl's module, run as is)
    return m


class BaseModel:
    """pydantic's BaseModel as these modules use it: keyword fields with class defaults, model_dump()."""

    def __init__(self, **kw):
        for k in typing.get_type_hints(type(self)):
            setattr(self, k, kw.get(k, getattr(type(self), k, None)))

    def model_dump(self):
        return {k: getattr(self, k) for k in typing.get_type_hints(type(self))}


class Tokenizer:
    chat_template = None

    def apply_chat_template(self, conversation, add_generation_prompt=False, chat_template=None, tokenize=True):
        assert not tokenize
        return ENV.from_string(chat_template).render(messages=conversation, add_generation_prompt=add_generation_prompt,
                                                     **SPECIAL)


def install(tmp):
    for pkg in ("axolotl", "axolotl.utils", "axolotl.utils.schemas", "axolotl.prompt_strategies"):
        module(pkg)
    module("axolotl.utils.logging", get_logger=logging.getLogger)
    folder = os.path.join(tmp, "chat_templates")
    os.makedirs(os.path.join(folder, "templates"))
    for name in TEMPLATES:
        with open(os.path.join(folder, "templates", name + ".jinja"), "w", encoding="utf-8") as f:
            f.write(show(f"src/axolotl/utils/chat_templates/templates/{name}.jinja"))
    module("axolotl.utils.chat_templates", show("src/axolotl/utils/chat_templates/base.py"),
           os.path.join(folder, "base.py"))
    module("axolotl.utils.schemas.utils", show("src/axolotl/utils/schemas/utils.py"))
    module("pydantic", BaseModel=BaseModel)
    module("axolotl.prompt_tokenizers", IGNORE_INDEX=-100, PromptTokenizingStrategy=object)
    module("axolotl.prompters", Prompter=object)
    load = lambda path: module("axolotl.prompt_strategies." + path.replace("/", "."),  # noqa: E731
                               show("src/axolotl/prompt_strategies/" + path + ".py"))
    return {"dpo": load("dpo/chat_template"), "orpo": load("orpo/chat_template"), "zephyr": load("dpo/zephyr"),
            "passthrough": load("dpo/passthrough")}


def turn(role, content, keys=("role", "content")):
    return {keys[0]: role, keys[1]: content}


Q, A, B = "What is {2+2}?\nSay it — briefly.", "4, ünï", "5"
SYS = "Be brief."
MAPPED = {"message_property_mappings": {"role": "from", "content": "value"},
          "roles": {"user": ["human"], "assistant": ["gpt"], "system": ["sys"]}}
FV = ("from", "value")

DPO_DEFAULT = [
    ({}, {"messages": [turn("system", SYS), turn("user", Q)], "chosen": A, "rejected": B}),
    ({}, {"messages": Q, "chosen": turn("assistant", A), "rejected": [turn("user", "x"), turn("assistant", B)]}),
    ({"field_messages": "conversation", "field_chosen": "good", "field_rejected": "bad", **MAPPED},
     {"conversation": [turn("sys", SYS, FV), turn("human", Q, FV)], "good": turn("gpt", A, FV), "bad": [turn("gpt", B, FV)]}),
    ({}, {"messages": [turn("narrator", Q)], "chosen": A, "rejected": B}),  # a role outside roles: KeyError
    ({}, {"messages": [turn("user", Q)], "chosen": "", "rejected": B}),     # find("") = 0
]
ARGILLA_CHAT = [
    ({}, {"chosen": [turn("user", Q), turn("assistant", A)], "rejected": [turn("user", Q), turn("assistant", B)]}),
    ({}, {"chosen": [turn("system", SYS), turn("user", "a"), turn("assistant", "b"), turn("user", Q), turn("assistant", A)],
          "rejected": [turn("user", "ignored"), turn("assistant", B)], "system": "not read"}),
    ({"field_chosen": "good", "field_rejected": "bad", **MAPPED},
     {"good": [turn("sys", SYS, FV), turn("human", Q, FV), turn("gpt", A, FV)], "bad": [turn("human", Q, FV), turn("gpt", B, FV)]}),
    ({}, {"chosen": [], "rejected": [turn("user", Q), turn("assistant", B)]}),  # chosen[-1]: IndexError
    ({}, {"chosen": [turn("user", Q), turn("assistant", A)], "rejected": [turn("user", Q), turn("bot", B)]}),
]
ORPO_ARGILLA = [
    {"system": SYS, "chosen": [turn("user", Q), turn("assistant", A)], "rejected": [turn("user", Q), turn("assistant", B)]},
    {"chosen": [turn("user", "a"), turn("assistant", "b"), turn("user", Q), turn("assistant", A)],
     "rejected": [turn("user", Q), turn("assistant", B)], "system": ""},
    {"prompt": Q, "chosen": [turn("user", "a"), turn("assistant", "b"), turn("user", "c"), turn("assistant", A)],
     "rejected": [turn("user", "c"), turn("assistant", B)], "system": None},
    {"chosen": [turn("user", Q), turn("assistant", A), turn("user", "odd")], "rejected": [turn("user", Q), turn("assistant", B)]},
]
NECTAR = [
    {"prompt": Q, "answers": [{"answer": "best", "rank": 1}, {"answer": "worst", "rank": 3}, {"answer": "mid", "rank": 2}]},
    {"prompt": Q, "answers": [{"answer": "a", "rank": 2.0}, {"answer": "b", "rank": 1.0}, {"answer": "c", "rank": 2.0}]},
    {"prompt": 7, "answers": [{"answer": "x", "rank": 1}, {"answer": "y", "rank": 2}]},
    {"prompt": Q, "answers": [{"answer": "only", "rank": 1}]},  # answers[-2]: IndexError
]
PASSTHROUGH = [{"prompt": Q, "chosen": A, "rejected": B, "extra": 1}]


def cases(mods):
    out = []

    def add(kind, type_, template, settings, row, fn):
        try:
            got = fn(copy.deepcopy(row))
            want = {k: got[k] for k in ("prompt", "chosen", "rejected")}
        except (KeyError, IndexError, AssertionError, TypeError):  # Axolotl fails on the row
            want = {"error": True}
        out.append({"kind": kind, "type": type_, "template": template, "settings": settings, "row": row, "want": want})

    tok = Tokenizer()
    for template in TEMPLATES:
        for fn_name, rows in (("default", DPO_DEFAULT), ("argilla_chat", ARGILLA_CHAT)):
            for settings, row in rows:
                cfg = {"chat_template": template, "datasets": [dict(settings, type="chat_template." + fn_name)]}
                transform, _ = getattr(mods["dpo"], fn_name)(cfg)
                add("dpo", "chat_template." + fn_name, template, settings, row, lambda r: transform(r, tokenizer=tok))
        for row in ORPO_ARGILLA:
            transform = mods["orpo"].argilla({"chat_template": template})
            add("orpo", "chat_template.argilla", template, {}, row, lambda r: transform(r, tokenizer=tok))
    for row in NECTAR:
        add("dpo", "zephyr.nectar", "", {}, row, mods["zephyr"].nectar({}))
    for row in PASSTHROUGH:
        add("dpo", "passthrough.default", "", {}, row, mods["passthrough"].default({}))
    return out


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        result = cases(install(tmp))
    json.dump({"generator": "tests/reference/preference_chat_reference.py",
               "axolotl": subprocess.run(["git", "--git-dir", MIRROR, "rev-parse", "HEAD"], check=True,
                                         capture_output=True, text=True).stdout.strip(),
               "special": SPECIAL, "cases": result}, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
