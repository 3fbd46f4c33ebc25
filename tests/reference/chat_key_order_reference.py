#!/usr/bin/python3
"""Render goldens for key order in chat rows: dicts that come from the data (tool schemas, tool-call
arguments, messages) printed by a template with `tojson`, `items()` or a `for` over a mapping keep the
row's key order, as Python dicts do. Rendered with real Jinja2 configured as transformers does
(chat_template_render.make_env); each row is turned into Axolotl's conversation thread by an
independent re-implementation of ChatTemplateStrategy.get_conversation_thread / transform_message /
_get_tools (src/axolotl/prompt_strategies/chat_template.py at the mirror's HEAD) with the default
message_property_mappings: a turn is {role, content, then the template's other message keys}. Axolotl
adds those other keys in the order of a Python set (hash order), so every row here has at most one
such key per message and the golden is well defined. Tool schemas given as JSON text, and a function's
`parameters` or a call's `arguments` given as JSON text, are json.loads()ed (keys in order).

Each case carries the raw JSONL line of its row (so the test reads it through RecordReader, not a
re-ordered parse) and the expected render of the whole conversation (add_generation_prompt false;
bos_token <s> and eos_token </s> as the test's byte tokenizer spells them). `kwargs` are
chat_template_kwargs. `generation`: the prompt `inference --chat` renders for one user line with Qwen3's
own template and each chat_template_kwargs (tests/train/test_chat_e2e.cpp).

Usage: /usr/bin/python3 tests/reference/chat_key_order_reference.py > tests/assets/chat_key_order_golden.json
Test: tests/data/test_chat_key_order.cpp.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chat_template_render import ENV, SHARED  # noqa: E402

ROLES = {"human": "user", "user": "user", "assistant": "assistant", "gpt": "assistant", "system": "system",
         "tool": "tool"}

# Prints the data's dicts every way a template can: tojson of a whole turn, of the tools and of a call's
# arguments, items() of a schema, and a for over a mapping.
INLINE = (
    "{%- if tools %}TOOLS {{ tools | tojson }}\n"
    "{%- for t in tools %}\n{{ t.function.name }}:"
    "{%- for k, v in t.function.parameters.properties.items() %} {{ k }}={{ v.type }}{% endfor %}"
    " keys:{% for k in t.function %} {{ k }}{% endfor %}"
    "{%- endfor %}\n{% endif %}"
    "{%- for m in messages %}{{ m | tojson }}\n"
    "{%- if m.tool_calls %}{% for c in m.tool_calls %}CALL {{ c.function.name }} {{ c.function.arguments | tojson }}"
    " {{ c.function.arguments | tojson(indent=2) }}\n{% endfor %}{% endif %}"
    "{%- endfor %}")

# Reads chat_template_kwargs: a flag and a nested dict whose key order is the config's.
KWARGS = (
    "{%- if enable_thinking is defined and enable_thinking is false %}NO-THINK {% endif %}"
    "{{ style | tojson }}|{% for k, v in style.items() %}{{ k }}{% endfor %}\n"
    "{%- for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}")

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather of a city",
    "parameters": {"type": "object", "properties": {"zeta_city": {"type": "string", "description": "the city"},
                                                    "alpha_days": {"type": "integer"}},
                   "required": ["zeta_city"]}}}

ROWS = [
    # tools as a list; a call's arguments as JSON text; a tool reply.
    {"tools": [WEATHER],
     "messages": [
         {"role": "system", "content": "Use tools."},
         {"role": "user", "content": "Weather in Paris for 3 days?"},
         {"role": "assistant", "content": "",
          "tool_calls": [{"type": "function", "function": {
              "name": "get_weather", "arguments": "{\"zeta_city\": \"Paris\", \"alpha_days\": 3}"}}]},
         {"role": "tool", "content": "{\"temp\": 21, \"sky\": \"clear\"}"},
         {"role": "assistant", "content": "21 degrees and clear."}]},
    # tools as JSON text whose parameters are JSON text too; messages spelled content-first and with
    # arguments already a dict (keys out of alphabetical order).
    {"messages": [
        {"content": "Add 2 and 3", "role": "user"},
        {"content": "", "role": "assistant",
         "tool_calls": [{"function": {"name": "add", "arguments": {"y": 3, "x": 2}}, "type": "function"}]},
        {"content": "5", "role": "tool"},
        {"content": "It is 5.", "role": "assistant"}],
     "tools": json.dumps([{"type": "function", "function": {
         "name": "add", "description": "Adds", "parameters": json.dumps(
             {"type": "object", "properties": {"y": {"type": "number"}, "x": {"type": "number"}},
              "required": ["y", "x"]})}}])},
]

KWARGS_ROW = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
KWARGS_VALUE = {"enable_thinking": False, "style": {"zz": 1, "aa": [1, 2.5, "x"], "mm": None}}


def get_tools(row):
    tools = row.get("tools")
    if tools is None:
        return None
    if isinstance(tools, str):
        tools = json.loads(tools)
    for tool in tools:
        if isinstance(tool, dict) and "function" in tool and "parameters" in tool["function"]:
            if isinstance(tool["function"]["parameters"], str):
                tool["function"]["parameters"] = json.loads(tool["function"]["parameters"])
    return tools


def thread(row, src):
    turns = []
    for m in row["messages"]:
        turn = {}
        for key in ("role", "content"):
            if m.get(key) is not None:
                turn[key] = m[key]
        turn["role"] = ROLES.get(turn["role"], turn["role"])
        extra = [k for k in m if k not in ("role", "content") and m[k] is not None and k in src]
        assert len(extra) <= 1, "Axolotl orders several extra message keys by hash: keep one per message"
        for k in extra:
            turn[k] = m[k]
        for call in turn.get("tool_calls") or []:
            if "function" in call and isinstance(call["function"].get("arguments"), str):
                call["function"]["arguments"] = json.loads(call["function"]["arguments"])
        turns.append(turn)
    return turns


def render(src, row, kwargs=None):
    row = json.loads(json.dumps(row))  # the strategy changes its row in place
    tools = get_tools(row)
    variables = {"bos_token": "<s>", "eos_token": "</s>", "messages": thread(row, src), "tools": tools or None,
                 "documents": None,
                 "add_generation_prompt": False, **(kwargs or {})}
    return ENV.from_string(src).render(**variables)


def tokenizer_template(name):
    path = os.path.join(SHARED, "tokenizers", name, "tokenizer_config.json")
    if not os.path.exists(path):
        return None
    t = json.load(open(path, encoding="utf-8"))["chat_template"]
    return t if isinstance(t, str) else next(x["template"] for x in t if x["name"] == "default")


def main():
    cases = []
    for i, row in enumerate(ROWS):
        cases.append({"id": f"inline/{i}", "template": "inline", "line": json.dumps(row, ensure_ascii=False),
                      "output": render(INLINE, row)})
    for name in ("qwen3",):  # its own template prints tools and arguments with tojson (skipped when absent)
        src = tokenizer_template(name)
        if src is None:
            sys.exit(f"../shared/tokenizers/{name} is needed to make the goldens")
        for i, row in enumerate(ROWS):
            cases.append({"id": f"{name}/{i}", "template": name, "line": json.dumps(row, ensure_ascii=False),
                          "output": render(src, row)})
    cases.append({"id": "kwargs", "template": "kwargs", "line": json.dumps(KWARGS_ROW), "kwargs": KWARGS_VALUE,
                  "output": render(KWARGS, KWARGS_ROW, KWARGS_VALUE)})
    # `inference --chat`'s prompt for one user line with Qwen3's own template: apply_chat_template(
    # add_generation_prompt=True, **kwargs); enable_thinking=False adds the empty think block.
    generation = []
    qwen3 = tokenizer_template("qwen3")
    for kwargs in ({}, {"enable_thinking": False}, {"enable_thinking": True}):
        variables = {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "messages": [
            {"role": "user", "content": "Ping"}], "tools": None, "documents": None, "add_generation_prompt": True,
            **kwargs}
        generation.append({"template": "qwen3", "kwargs": kwargs, "output": ENV.from_string(qwen3).render(**variables)})
    json.dump({"generator": "tests/reference/chat_key_order_reference.py", "templates": {"inline": INLINE,
               "kwargs": KWARGS}, "cases": cases, "generation": generation}, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
