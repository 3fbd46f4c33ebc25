#!/usr/bin/python3
"""Label goldens for the chat_template strategy: an independent Python re-implementation of
Axolotl's ChatTemplateStrategy._tokenize_single_prompt / find_turn (src/axolotl/prompt_strategies/
chat_template.py at the mirror's HEAD), rendering with real Jinja2 as transformers configures it
(chat_template_render.make_env) and tokenizing with the sentencepiece module on the shared Llama-2
tokenizer.model, special tokens split out first as the slow HF LlamaTokenizer does.

Messages are transformed as transform_message does: message_property_mappings (default role, content
and the reasoning key from field_thinking), the `roles` table, and the other keys the template reads
on a message as Axolotl's own JinjaTemplateAnalyzer finds them (loaded from the Axolotl mirror,
$AXOLOTL_MIRROR, not copied). Tool schemas come from the row's "tools" column: Axolotl's
StrategyLoader never passes field_tools to the prompter. A template named "tokenizer:<name>" is the
chat_template of ../shared/tokenizers/<name>/tokenizer_config.json (Qwen3's own template renders a
conversation's prefix differently from the whole: the labels reproduce Axolotl's misplaced spans).

Usage: /usr/bin/python3 tests/reference/chat_labels_reference.py > tests/assets/chat_labels_golden.json
Test: tests/data/test_chat_labels.cpp.
"""
import json
import os
import re
import subprocess
import sys
import types

import sentencepiece as spm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chat_template_render import ENV, MIRROR, ROOT, SHARED, axolotl_template  # noqa: E402


def _axolotl_analyzer():
    """Axolotl's prompt_strategies/jinja_template_analyzer.py (jinja2 only), run from the mirror."""
    path = "HEAD:src/axolotl/prompt_strategies/jinja_template_analyzer.py"
    src = subprocess.run(["git", "--git-dir", MIRROR, "show", path], capture_output=True, text=True, check=True).stdout
    mod = types.ModuleType("jinja_template_analyzer")
    exec(compile(src, "jinja_template_analyzer.py", "exec"), mod.__dict__)
    return mod.JinjaTemplateAnalyzer


JinjaTemplateAnalyzer = _axolotl_analyzer()

IGNORE = -100
SP = spm.SentencePieceProcessor(model_file=os.path.join(SHARED, "tokenizers", "llama2", "tokenizer.model"))
SPECIAL = {"<s>": 1, "</s>": 2, "<unk>": 0}
BOS, EOS = "<s>", "</s>"
SPLIT = re.compile("(" + "|".join(re.escape(t) for t in sorted(SPECIAL, key=len, reverse=True)) + ")")


def encode(text):  # add_special_tokens=False
    ids = []
    for chunk in SPLIT.split(text):
        if chunk in SPECIAL:
            ids.append(SPECIAL[chunk])
        elif chunk:
            ids.extend(SP.encode(chunk))
    return ids


def token_starts(text):
    """Start character of each token of encode(text), as a fast tokenizer's offset_mapping gives it."""
    starts, pos = [], 0
    for chunk in SPLIT.split(text):
        if chunk in SPECIAL:
            starts.append(pos)
        elif chunk:
            starts.extend(pos + p.begin for p in SP.encode_as_immutable_proto(chunk).pieces)
        pos += len(chunk)
    return starts


def detail_mask(text, details):
    """ChatTemplatePrompter.get_offsets_for_train_detail + adjust_train_details, as booleans."""
    starts = token_starts(text)
    n = len(starts)
    if n == 0:
        return []
    offs = [(starts[k], starts[k + 1] - 1) for k in range(n - 1)] + [(starts[-1], len(text) - 1)]
    adjusted = []
    for d in details:
        b, e = d["begin_offset"], d["end_offset"]
        bt = next((k for k, (s, _) in enumerate(offs) if s >= b), n)
        if bt > 0 and offs[bt - 1][1] > b:
            bt -= 1
        et = next((k for k in range(n - 1, -1, -1) if offs[k][1] <= e), -1)
        if et < n - 1 and offs[et + 1][0] < e:
            et += 1
        if bt <= et:
            adjusted.append((offs[bt][0], offs[et][1], d["train"]))
    return [any(tr and s >= b and e <= en for b, en, tr in adjusted) for s, e in offs]


def content_parts(parts):
    """_convert_content_parts: (text, details or None)."""
    texts, details, explicit, offset = [], [], False, 0
    for part in parts:
        if not isinstance(part, dict):
            continue
        text = part.get("text") or part.get("content") or part.get("value") or ""
        texts.append(text)
        train = True
        if part.get("train") is not None or part.get("weight") is not None:
            explicit = True
            train = part["train"] if part.get("train") is not None else part["weight"] not in (0, 0.0)
        if text:
            details.append({"begin_offset": offset, "end_offset": offset + len(text) - 1, "train": train})
            offset += len(text)
    return "".join(texts), (details if explicit else None)


def template(name):
    if name.startswith("tokenizer:"):
        path = os.path.join(SHARED, "tokenizers", name.split(":", 1)[1], "tokenizer_config.json")
        with open(path, encoding="utf-8") as f:
            return json.load(f)["chat_template"]
    return open(os.path.join(ROOT, "src", "data", "chat_templates", name + ".jinja"), encoding="utf-8").read()


def build_prompt(src, turns, tools=None, real_last_index=None):
    kwargs = {"bos_token": BOS, "eos_token": EOS, "unk_token": "<unk>", "messages": turns, "tools": None,
              "documents": None, "add_generation_prompt": False}
    if tools:
        kwargs["tools"] = tools
    if real_last_index:
        kwargs["real_last_index"] = real_last_index
    return encode(ENV.from_string(src).render(**kwargs))


def find_turn(src, turns, i, tools, dummy=None):
    dummy = dummy or {"role": turns[i].get("role"), "content": "[[dummy_message]]"}
    last = len(turns) - 1
    a = build_prompt(src, turns[:i] + [dummy], tools, last)
    b = build_prompt(src, turns[:i + 1], tools, last)
    if not a or not b:
        return -1, -1
    m = min(len(a), len(b))
    start = next((k for k in range(m) if a[k] != b[k]), None)
    if start is None:
        return -1, -1
    end = next((len(b) - 1 - k + 1 for k in range(m) if a[len(a) - 1 - k] != b[len(b) - 1 - k]), None)
    if end is None or end <= start:
        return -1, -1
    return start, end


def first_from(ids, start, wanted):
    for k in range(start, len(ids)):
        if ids[k] in wanted:
            return k
    return -1


DEFAULT_ROLES = {"human": "user", "user": "user", "assistant": "assistant", "gpt": "assistant", "system": "system",
                 "tool": "tool"}


def transform(m, opt, roles, msg_vars):
    """transform_message: mapped properties, the role table, split_thinking, the template's other keys."""
    mappings = opt.get("message_property_mappings") or {
        "role": "role", "content": "content", "reasoning_content": opt.get("field_thinking", "reasoning_content")}
    t = {}
    for key, value in mappings.items():
        if m.get(value) is not None:
            t[key] = m[value]
    if "role" in t:
        t["role"] = roles.get(t["role"], t["role"])
    if opt.get("split_thinking") and t["role"] == "assistant" and "<think>" in t["content"] \
            and "</think>" in t["content"]:
        c = t["content"]
        s, e = c.find("<think>"), c.find("</think>")
        t["reasoning_content"] = c[s + len("<think>"):e].strip()
        t["content"] = c[e + len("</think>"):].lstrip()
    remaining = set(m) - set(mappings.values())
    for key in sorted(msg_vars):
        if key in remaining and m.get(key) is not None:
            t[key] = m[key]
    for call in t.get("tool_calls") or []:
        if "function" in call and isinstance(call["function"].get("arguments"), str):
            call["function"]["arguments"] = json.loads(call["function"]["arguments"])
    return t


def thread(src, row, opt):
    roles = {s: t for t, srcs in opt["roles"].items() for s in srcs} if opt.get("roles") else DEFAULT_ROLES
    field = opt.get("field_messages", "messages")
    # Axolotl analyzes its own text of a named template (ours renders the same but is written differently)
    msg_vars = JinjaTemplateAnalyzer(opt.get("_analyzed") or src).get_message_vars(field)
    msgs = json.loads(json.dumps(row[field]))  # transform_message edits tool_calls in place
    turns = []
    if transform(msgs[0], opt, roles, msg_vars)["role"] != "system" and "system" in row:
        turns.append({"role": "system", "content": row["system"]})
    for m in msgs:
        t = transform(m, opt, roles, msg_vars)
        key = opt.get("message_field_training")
        if key and m.get(key) is not None:
            t["training"] = m[key]
        key = opt.get("message_field_training_detail")
        if key and m.get(key) is not None:
            t["training_detail"] = m[key]
        for field_name, detail_key in (("content", "training_detail"), ("reasoning_content", "reasoning_training_detail")):
            if isinstance(t.get(field_name), list):
                t[field_name], details = content_parts(t[field_name])
                if details is not None:
                    t[detail_key] = details
        turns.append(t)
    if opt.get("drop_system_message") and turns[0]["role"] == "system":
        turns = turns[1:]
    return turns


def tools_of(row):
    """_get_tools on the "tools" column: JSON strings parsed, parameters too."""
    tools = row.get("tools")
    if tools is None:
        return None
    tools = json.loads(tools) if isinstance(tools, str) else json.loads(json.dumps(tools))
    for tool in tools:
        if isinstance(tool, dict) and "function" in tool and isinstance(tool["function"].get("parameters"), str):
            tool["function"]["parameters"] = json.loads(tool["function"]["parameters"])
    return tools


def labels_for(src, row, opt, train_on_inputs):
    roles = {s: t for t, srcs in opt["roles"].items() for s in srcs} if opt.get("roles") else DEFAULT_ROLES
    roles_to_train = [roles.get(r, r) for r in opt.get("roles_to_train", ["assistant"])]  # mapped, as Axolotl does
    eos_mode = opt.get("train_on_eos", "turn")
    eot_mode = opt.get("train_on_eot", eos_mode)
    eot_ids = {encode(t)[0] for t in opt.get("eot_tokens", [EOS]) if len(encode(t)) == 1 and t in src}
    turns = thread(src, row, opt)
    tools = tools_of(row)
    ids = build_prompt(src, turns, tools)
    labels = [IGNORE] * len(ids)
    last = {"eot": -1, "eos": -1}
    for i, turn in enumerate(turns):
        detail, rdetail = turn.get("training_detail"), turn.get("reasoning_training_detail")
        if "training" in turn:
            train = turn["training"]
        elif detail is not None or rdetail is not None:
            train = bool(detail) or bool(rdetail)
        else:
            train = train_on_inputs or turn["role"] in roles_to_train
        if not train and eos_mode != "all" and eot_mode != "all":
            continue
        has_reasoning = turn.get("reasoning_content") is not None
        dummy = {"role": turn["role"], "content": "[[dummy_message]]"}
        if (detail or rdetail) and has_reasoning:
            dummy["reasoning_content"] = turn["reasoning_content"]
        start, end = find_turn(src, turns, i, tools, dummy)
        if train and start != -1 and end != -1:
            if detail:
                for k, on in enumerate(detail_mask(turn["content"], detail)):
                    if on and start + k < len(ids):
                        labels[start + k] = ids[start + k]
            elif not rdetail:
                labels[start:end] = ids[start:end]
        if train and rdetail and has_reasoning:
            rdummy = {"role": turn["role"], "content": turn.get("content", ""),
                      "reasoning_content": "[[dummy_reasoning]]"}
            rs, re_ = find_turn(src, turns, i, tools, rdummy)
            if rs != -1 and re_ != -1:
                for k, on in enumerate(detail_mask(turn["reasoning_content"], rdetail)):
                    if on and rs + k < len(ids):
                        labels[rs + k] = ids[rs + k]
        for kind, wanted, mode in (("eot", eot_ids, eot_mode), ("eos", {SPECIAL[EOS]}, eos_mode)):
            k = first_from(ids, end, wanted)
            if k != -1 and abs(k - end) <= 3:
                last[kind] = k
                if mode == "all" or (mode == "turn" and train):
                    labels[k] = ids[k]
    for kind, mode in (("eot", eot_mode), ("eos", eos_mode)):
        if mode == "last" and last[kind] != -1:
            labels[last[kind]] = ids[last[kind]]
    return ids, labels


ROWS = [
    {"messages": [{"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello! How can I help?"}]},
    {"system": "Be brief.",
     "messages": [{"role": "human", "content": "2+2?"}, {"role": "gpt", "content": "4"},
                  {"role": "human", "content": "3+3?"}, {"role": "gpt", "content": "6, of course."}]},
    {"messages": [{"role": "system", "content": "You are kind."}, {"role": "user", "content": "Grüß dich 你好"},
                  {"role": "assistant", "content": "Hallo!", "train": False},
                  {"role": "user", "content": "Again"}, {"role": "assistant", "content": "Hallo again.", "train": True}]},
    {"messages": [{"role": "user", "content": "Think"},
                  {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nDone."}]},
]

# Character-span training: message_field_training_detail, content parts with train/weight flags,
# reasoning parts (qwen3 renders reasoning_content).
DETAIL_ROWS = [
    {"messages": [{"role": "user", "content": "Question?"},
                  {"role": "assistant", "content": "The answer is 42, I think.",
                   "train_detail": [{"begin_offset": 14, "end_offset": 15, "train": True},
                                    {"begin_offset": 5, "end_offset": 8, "train": True}]}]},
    {"messages": [{"role": "user", "content": "Grüß dich", "train_detail": [{"begin_offset": 0, "end_offset": 3,
                                                                            "train": True}]},
                  {"role": "assistant", "content": "Grüß dich, 你好! Bis bald.",
                   "train_detail": [{"begin_offset": 0, "end_offset": 13, "train": True},
                                    {"begin_offset": 11, "end_offset": 24, "train": False}]},
                  {"role": "user", "content": "Again"},
                  {"role": "assistant", "content": "Nothing here.", "train_detail": []}]},
    {"messages": [{"role": "user", "content": [{"text": "Add "}, {"text": "2 and 2."}]},
                  {"role": "assistant", "content": [{"text": "Let me think.", "train": False},
                                                    {"text": " The answer is 4.", "train": True}]}]},
    {"messages": [{"role": "user", "content": "Weights"},
                  {"role": "assistant", "content": [{"text": "Skip this", "weight": 0}, {"text": ""},
                                                    {"content": " but learn this", "weight": 1}]}]},
    {"messages": [{"role": "user", "content": "Think"},
                  {"role": "assistant", "content": "Done.",
                   "reasoning_content": [{"text": "step one.", "train": False}, {"text": " step two.", "train": True}]}]},
]

DETAIL_CASES = [
    ("chatml", {"message_field_training_detail": "train_detail"}),
    ("llama3", {"message_field_training_detail": "train_detail", "train_on_eos": "all"}),
    ("mistral_v1", {"message_field_training_detail": "train_detail"}),
    ("qwen3", {"message_field_training_detail": "train_detail"}),
]

CASES = [
    ("chatml", {}), ("chatml", {"train_on_eos": "all"}),
    ("mistral_v1", {}), ("mistral_v1", {"train_on_eos": "last"}), ("mistral_v1", {"train_on_eos": "none"}),
    ("mistral_v1", {"train_on_eos": "all", "roles_to_train": ["user"]}),
    ("alpaca", {}), ("alpaca", {"roles_to_train": ["user", "assistant"]}),
    ("alpaca", {"message_field_training": "train"}),
    ("llama2", {}), ("llama2", {"drop_system_message": True}),
    ("llama3", {"train_on_inputs": True}), ("llama3", {"split_thinking": True}),
    ("gemma", {"train_on_eot": "turn", "train_on_eos": "turn"}),
    ("mistral_v1", {"eot_tokens": ["</s>", "<unk>"], "train_on_eot": "all", "train_on_eos": "all"}),
]


SPEAKERS = {"human": "customer", "user": "customer", "gpt": "agent", "assistant": "agent", "system": "system"}

# ROWS under other names: field_messages, message_property_mappings and a roles table.
CUSTOM_ROWS = [{**({"system": r["system"]} if "system" in r else {}),
                "conversation": [{"speaker": SPEAKERS[m["role"]], "text": m["content"],
                                  **({"train": m["train"]} if "train" in m else {})} for m in r["messages"]]}
               for r in ROWS]
CUSTOM = {"field_messages": "conversation", "message_property_mappings": {"role": "speaker", "content": "text"},
          "roles": {"user": ["customer"], "assistant": ["agent"], "system": ["system"]}}

TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
                                         "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                        "required": ["city"]}}}
# Tool schemas and calls, also as JSON strings (parsed as _get_tools / transform_message do).
TOOL_ROWS = [
    {"tools": [TOOL],
     "messages": [{"role": "user", "content": "Weather in Paris?"},
                  {"role": "assistant", "content": "",
                   "tool_calls": [{"type": "function", "function": {"name": "get_weather",
                                                                    "arguments": {"city": "Paris"}}}]},
                  {"role": "tool", "content": "{\"temp\": 21}"},
                  {"role": "assistant", "content": "It is 21 °C."}]},
    {"tools": json.dumps([{**TOOL, "function": {**TOOL["function"],
                                                "parameters": json.dumps(TOOL["function"]["parameters"])}}]),
     "messages": [{"role": "system", "content": "Use tools."}, {"role": "user", "content": "And Rome?"},
                  {"role": "assistant", "content": "Checking.",
                   "tool_calls": [{"type": "function", "function": {"name": "get_weather",
                                                                    "arguments": "{\"city\": \"Rome\"}"}}]},
                  {"role": "tool", "content": "sunny"}, {"role": "assistant", "content": "Sunny."}]},
]

# Several assistant turns with reasoning: Qwen3's own template drops the earlier turn's <think> block
# in the full render only, so Axolotl's span for that turn is misplaced (and we must reproduce it).
REASONING_ROWS = [
    {"messages": [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1", "reasoning_content": "r one"},
                  {"role": "user", "content": "Q2"}, {"role": "assistant", "content": "A2", "reasoning_content": "r two"}]},
    {"messages": [{"role": "system", "content": "Think."}, {"role": "user", "content": "Q"},
                  {"role": "assistant", "content": "<think>\nsplit me\n</think>\n\nA"},
                  {"role": "user", "content": "Q again"}, {"role": "assistant", "content": "B"}]},
]
THOUGHT_ROWS = [{"messages": [{**{k: v for k, v in m.items() if k != "reasoning_content"},
                              **({"thoughts": m["reasoning_content"]} if "reasoning_content" in m else {})}
                             for m in r["messages"]]} for r in REASONING_ROWS]

EXTRA_CASES = [
    ("chatml", {"roles_to_train": [], "message_field_training": "train"}, ROWS),
    ("chatml", {"roles_to_train": []}, ROWS),
    ("llama3", {**CUSTOM, "roles_to_train": ["agent"]}, CUSTOM_ROWS),
    ("chatml", {**CUSTOM, "train_on_eos": "all", "roles_to_train": ["customer", "agent"]}, CUSTOM_ROWS),
    ("qwen_25", {}, TOOL_ROWS),
    ("qwen3", {}, TOOL_ROWS),
    ("qwen3", {}, REASONING_ROWS),
    ("qwen3", {"split_thinking": True}, REASONING_ROWS),
    ("qwen3", {"field_thinking": "thoughts"}, THOUGHT_ROWS),
    ("tokenizer:qwen3", {}, REASONING_ROWS),
    ("tokenizer:qwen3", {}, TOOL_ROWS),
    ("tokenizer:llama3", {}, ROWS),
    ("llama2", {"eot_tokens": ["</s>"], "train_on_eot": "last", "train_on_eos": "last"}, ROWS),
    ("llama2", {"eot_tokens": ["</s>"], "train_on_eot": "none", "train_on_eos": "none"}, ROWS),
    ("llama2", {"train_on_eot": "turn", "train_on_eos": "turn", "roles_to_train": ["assistant", "system"]}, ROWS),
]


def main():
    cases = []
    plan = [(n, o, DETAIL_ROWS if o.get("message_field_training_detail") else ROWS) for n, o in CASES + DETAIL_CASES]
    for name, opt, row_set in plan + EXTRA_CASES:
        src = template(name)
        analyzed = None if name.startswith("tokenizer:") else axolotl_template(name)
        rows = []
        for row in row_set:
            try:
                ids, labels = labels_for(src, row, {**opt, "_analyzed": analyzed}, opt.get("train_on_inputs", False))
                rows.append({"record": row, "input_ids": ids, "labels": labels})
            except Exception as e:  # the template rejects the conversation
                rows.append({"record": row, "error": type(e).__name__ + ": " + str(e)})
        cases.append({"template": name, "options": opt, "rows": rows})
    json.dump({"generator": "tests/reference/chat_labels_reference.py", "tokenizer": "tokenizers/llama2/tokenizer.model",
               "cases": cases}, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
