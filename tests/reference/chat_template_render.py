#!/usr/bin/python3
"""Render goldens for the C++ Jinja engine, made by real Jinja2 configured as transformers does
(transformers/utils/chat_template_utils.py: ImmutableSandboxedEnvironment, trim_blocks,
lstrip_blocks, loopcontrols, tojson(ensure_ascii=False), raise_exception, strftime_now).

Usage: /usr/bin/python3 tests/reference/chat_template_render.py > tests/assets/jinja_render_golden.json
Templates: ../shared/tokenizers/{llama3,qwen3,gemma3}/tokenizer_config.json (read, not copied),
the engine feature cases below, and our named templates (src/data/chat_templates/*.jinja): each is
rendered with Axolotl's template of the same name (src/axolotl/utils/chat_templates/templates/ in
the Axolotl mirror, $AXOLOTL_MIRROR) as the golden, and the script fails if ours renders differently.
llama2 has no Axolotl counterpart: its golden is our own text rendered by Jinja2.
Test: tests/data/test_jinja_golden.cpp.
"""
import json
import os
import subprocess
import sys
from datetime import datetime

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")


class Generation(Extension):
    """{% generation %}...{% endgeneration %} renders its body (transformers' AssistantTracker)."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def make_env():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return datetime.now().strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[Generation, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


ENV = make_env()


def render(source, variables):
    try:
        return {"output": ENV.from_string(source).render(**variables)}
    except jinja2.exceptions.TemplateSyntaxError as e:
        return {"error": "syntax: " + str(e)}
    except Exception as e:  # raise_exception, undefined access, type errors
        return {"error": type(e).__name__ + ": " + str(e)}


TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather \u00e0 la ville",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                         "required": ["city"]}}}]

CONVERSATIONS = {
    "one_turn": [{"role": "user", "content": "Hi!"}, {"role": "assistant", "content": "Hello."}],
    "system_two_turns": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"},
        {"role": "user", "content": "And 3+3?"}, {"role": "assistant", "content": "6"}],
    "unicode": [{"role": "user", "content": "Grüß dich — 你好 👋 \"quotes\" and 'apostrophes'"},
                {"role": "assistant", "content": "  ¡Hola! ñandú\n\n"}],
    "empty_and_blank": [{"role": "user", "content": "   "}, {"role": "assistant", "content": ""},
                        {"role": "user", "content": "\n\t"}, {"role": "assistant", "content": " x "}],
    "user_only": [{"role": "user", "content": "Tell me a joke."}],
    "system_user": [{"role": "system", "content": "Be kind.\n"}, {"role": "user", "content": "Hello"}],
    "reasoning": [{"role": "user", "content": "Q1"},
                  {"role": "assistant", "content": "<think>\nstep one\n</think>\n\nA1"},
                  {"role": "user", "content": "Q2"},
                  {"role": "assistant", "content": "A2", "reasoning_content": "think two"}],
    "tool_use": [{"role": "user", "content": "Weather in Paris?"},
                 {"role": "assistant", "content": "",
                  "tool_calls": [{"type": "function", "function": {"name": "get_weather",
                                                                    "arguments": {"city": "Paris", "days": 2}}}]},
                 {"role": "tool", "content": "{\"temp\": 21.5}"},
                 {"role": "assistant", "content": "It is 21.5 °C."}],
    "typed_content": [{"role": "system", "content": [{"type": "text", "text": "Sys "}, {"type": "text", "text": "text"}]},
                      {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": " Look. "}]},
                      {"role": "assistant", "content": [{"type": "text", "text": "A cat."}]}],
    "mistral_tools": [{"role": "system", "content": "Use tools."},
                      {"role": "user", "content": "Weather?"},
                      {"role": "assistant", "tool_calls": [{"id": "abc123def", "function": {"name": "get_weather",
                                                                                          "arguments": {"city": "Rome"}}}]},
                      {"role": "tool", "tool_call_id": "abc123def", "content": "sunny"},
                      {"role": "assistant", "content": " Sunny. "},
                      {"role": "user", "content": "Thanks"}],
    "not_alternating": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
}

SPECIAL = {
    "llama3": {"bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>"},
    "qwen3": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "gemma3": {"bos_token": "<bos>", "eos_token": "<end_of_turn>", "pad_token": "<pad>", "unk_token": "<unk>"},
}


def tokenizer_template(name):
    with open(os.path.join(SHARED, "tokenizers", name, "tokenizer_config.json"), encoding="utf-8") as f:
        return json.load(f)["chat_template"]


MIRROR = os.environ.get("AXOLOTL_MIRROR", "/work/.mirror/axolotl-ai-cloud+axolotl/repo")


def named_templates():
    folder = os.path.join(ROOT, "src", "data", "chat_templates")
    return {f[:-6]: open(os.path.join(folder, f), encoding="utf-8").read()
            for f in sorted(os.listdir(folder)) if f.endswith(".jinja")}


def axolotl_template(name):
    path = f"HEAD:src/axolotl/utils/chat_templates/templates/{name}.jinja"
    r = subprocess.run(["git", "--git-dir", MIRROR, "show", path], capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else None


NAMED_SPECIAL = {"bos_token": "<s>", "eos_token": "</s>"}

ENGINE_CASES = [
    ("ws_trim_lstrip", "a\n  {% if x %}\n  yes\n  {% endif %}\n b {# c #}\nd\n", {"x": True}),
    ("ws_minus", "a  {%- if x -%}  \n y \n {%- endif -%}  b", {"x": True}),
    ("ws_plus", "a\n  {%+ if x %}y{% endif +%}\nz", {"x": True}),
    ("var_no_trim", "{{ x }}\n{{ x }}\n", {"x": 1}),
    ("comment_strip", "a\n  {#- note -#}\n  b", {}),
    ("raw", "{% raw %}{{ x }}{% endraw %}", {"x": 1}),
    ("set_scope", "{% set x = 1 %}{% for i in [1,2] %}{{ x }}{% set x = x + 1 %}{{ x }}{% endfor %}{{ x }}", {}),
    ("namespace", "{% set ns = namespace(n=0, s='') %}{% for i in range(4) %}{% set ns.n = ns.n + i %}"
                  "{% set ns.s = ns.s ~ i %}{% endfor %}{{ ns.n }} {{ ns.s }}", {}),
    ("loop_vars", "{% for x in 'abc' %}{{ loop.index0 }}{{ loop.index }}{{ loop.first }}{{ loop.last }}"
                  "{{ loop.length }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.cycle('o','e') }}|{% endfor %}", {}),
    ("loop_filter", "{% for x in xs if x > 1 %}{{ loop.index }}:{{ x }}{{ ',' if not loop.last }}{% endfor %}",
     {"xs": [1, 2, 3, 0, 5]}),
    ("loop_else", "{% for x in [] %}x{% else %}empty{% endfor %}", {}),
    ("break_continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x > 4 %}"
                       "{% break %}{% endif %}{{ x }}{% endfor %}", {}),
    ("unpack", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for k, v in d|items %}{{ k }}{% endfor %}",
     {"d": {"b": 1, "a": [1, "x"]}}),
    ("printing", "{{ none }} {{ true }} {{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e-7 }} {{ 1e16 }} {{ [1, 'a', none, {'k': 'v'}] }} "
                 "{{ 3 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 'ab' * 2 }} {{ undefined_thing }}", {}),
    ("precedence", "{{ '<' + s | trim + '>' }} {{ 1 + 2 * 3 }} {{ -2 ** 2 }} {{ not 1 == 2 }} {{ 1 ~ 2 ~ 3 }} "
                   "{{ 'a' if false }}|{{ 'x' if true else 'y' }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }}", {"s": "  pad  "}),
    ("in_ops", "{{ 'b' in 'abc' }} {{ 2 in [1,2] }} {{ 'k' in d }} {{ 'z' not in d }} {{ 'x' not in 'xyz' }}",
     {"d": {"k": 1}}),
    ("tests", "{{ x is defined }} {{ y is defined }} {{ n is none }} {{ n is defined }} {{ s is string }} "
              "{{ d is mapping }} {{ l is iterable }} {{ s is iterable }} {{ 3 is odd }} {{ 4 is even }} "
              "{{ 9 is divisibleby 3 }} {{ x is equalto 1 }} {{ x is not equalto 2 }} {{ f is false }} "
              "{{ f is boolean }} {{ 1.5 is float }} {{ 2 is integer }} {{ true is integer }} {{ 'AB' is upper }}",
     {"x": 1, "n": None, "s": "s", "d": {}, "l": [], "f": False}),
    ("filters_str", "{{ s|trim }}|{{ s|upper }}|{{ s|lower }}|{{ s|title }}|{{ s|capitalize }}|{{ s|replace('l','L') }}"
                    "|{{ s|length }}|{{ s|list|length }}|{{ s|reverse }}|{{ s|trim|first }}|{{ s|trim|last }}|{{ s|wordcount }}",
     {"s": "  heLlo wörld  "}),
    ("filters_seq", "{{ xs|join(', ') }}|{{ xs|first }}|{{ xs|last }}|{{ xs|length }}|{{ xs|sort }}|{{ xs|unique|list }}"
                    "|{{ xs|reverse|list }}|{{ xs|sum }}|{{ xs|max }}|{{ xs|min }}|{{ xs|map('string')|join }}", {"xs": [3, 1, 2, 3]}),
    ("filters_attr", "{{ ms|selectattr('role','equalto','user')|map(attribute='content')|join(',') }}|"
                     "{{ ms|rejectattr('role','equalto','user')|list|length }}|{{ ms|selectattr('x','defined')|list|length }}|"
                     "{{ ms|map(attribute='content')|list }}|{{ [1,0,2]|select|list }}|{{ ['a','b']|reject('equalto','a')|list }}",
     {"ms": [{"role": "user", "content": "u1"}, {"role": "assistant", "content": "a1", "x": 1},
             {"role": "user", "content": "u2"}]}),
    ("filters_misc", "{{ u|default('d') }} {{ n|default('d') }} {{ ''|default('d', true) }} {{ '42'|int + 1 }} "
                     "{{ 'x'|int }} {{ 3.9|int }} {{ '2.5'|float }} {{ -3|abs }} {{ 2.567|round(2) }} {{ 5|string ~ 'x' }} "
                     "{{ 'a\nb\n\nc'|indent(2) }} {{ 'a\nb'|indent(2, true) }} {{ '<&>'|e }} {{ d|dictsort }}",
     {"n": None, "d": {"b": 2, "a": 1}}),
    ("tojson", "{{ v|tojson }}\n{{ v|tojson(indent=2) }}\n{{ 'é\"\\\\\n\t'|tojson }} {{ [] | tojson(indent=4) }} "
               "{{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }} {{ 1.5|tojson }} {{ none|tojson }}",
     {"v": {"name": "f", "args": {"x": [1, 2.0, True, None, "ü"]}, "empty": {}}}),
    ("str_methods", "{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ s.strip(' \n') }}|{{ s.split() }}|"
                    "{{ 'a,b,,c'.split(',') }}|{{ 'a b c'.split(' ', 1) }}|{{ s.startswith(' ') }}|"
                    "{{ 'abc'.endswith(('x', 'c')) }}|{{ 'x'.upper() }}|{{ 'hello world'.title() }}|{{ 'ab'.replace('a', 'c') }}|"
                    "{{ 'a-b'.find('-') }}|{{ 'aaa'.count('a') }}|{{ '-'.join(['x', 'y']) }}|{{ 'a</think>b'.split('</think>')[-1] }}",
     {"s": " \n hi there \n "}),
    ("slices", "{{ xs[1:] }} {{ xs[::-1] }} {{ xs[:-1] }} {{ xs[-1] }} {{ xs[1:3] }} {{ xs[::2] }} {{ s[1:] }} "
               "{{ s[::-1] }} {{ s[-1] }} {{ xs[10] }} {{ xs[5:] }}", {"xs": [0, 1, 2, 3], "s": "añb"}),
    ("attr_item", "{{ m.role }} {{ m['role'] }} {{ m.missing }} {{ m.get('role') }} {{ m.get('zz', 'dflt') }} "
                  "{{ m.keys()|list }} {{ m.values()|list }} {{ xs.0 }} {{ n.x }}", {"m": {"role": "user"}, "xs": [5], "n": None}),
    ("macro", "{% macro tag(name, body='-') %}<{{ name }}>{{ body }}</{{ name }}>{% endmacro %}"
              "{{ tag('a') }}{{ tag('b', 'x') }}{{ tag(name='c', body=1) }}", {}),
    ("set_block", "{% set x %}  inner {{ 1 + 1 }}\n{% endset %}[{{ x }}]", {}),
    ("filter_block", "{% filter upper %}abc {{ 'd' }}{% endfilter %}", {}),
    ("dict_literal", "{% set d = {'a': 1, 'b': [1, 2], 'c': {'x': none}} %}{{ d }} {{ d.b[1] }} {{ d|length }}", {}),
    ("generation", "{% for m in ms %}{% generation %}{{ m }}{% endgeneration %}{% endfor %}", {"ms": ["a", "b"]}),
    ("concat_types", "{{ 1 ~ none ~ true ~ [1] }} {{ 'a' + 'b' }} {{ [1] + [2] }} {{ 1 + 2.5 }}", {}),
    ("error_concat_precedence", "{{ 'a' ~ 'b' + 1 }}", {}),
    ("error_raise", "{{ raise_exception('roles must alternate') }}", {}),
    ("error_add_str_int", "{{ 'a' + 1 }}", {}),
    ("error_undefined_attr", "{{ nothing.here }}", {}),
    ("error_unknown_filter", "{{ x|frobnicate }}", {"x": 1}),
    ("error_syntax", "{% if x %}unclosed", {"x": 1}),
    ("error_list_append", "{% set l = [] %}{{ l.append(1) }}", {}),
    ("strftime", "{{ strftime_now('%Y') | length }}", {}),
    ("final_newline", "x\n\n", {}),
    ("crlf", "a\r\n{% if true %}\r\nb\r\n{% endif %}\r\nc", {}),
]


def main():
    cases = []
    for name, src, variables in ENGINE_CASES:
        cases.append({"id": "engine/" + name, "source": src, "vars": variables, **render(src, variables)})
    for tok in ("llama3", "qwen3", "gemma3"):
        src = tokenizer_template(tok)
        for cname, conv in CONVERSATIONS.items():
            for agp in (False, True):
                variables = {**SPECIAL[tok], "messages": conv, "tools": None, "documents": None,
                             "add_generation_prompt": agp}
                if cname == "tool_use":
                    variables["tools"] = TOOLS
                cases.append({"id": f"tokenizer/{tok}/{cname}/{int(agp)}", "tokenizer": tok, "vars": variables,
                              **render(src, variables)})
        if tok == "qwen3":
            variables = {**SPECIAL[tok], "messages": CONVERSATIONS["user_only"], "tools": None, "documents": None,
                         "add_generation_prompt": True, "enable_thinking": False}
            cases.append({"id": "tokenizer/qwen3/no_thinking", "tokenizer": tok, "vars": variables,
                          **render(src, variables)})
    mismatches = 0
    for tname, src in named_templates().items():
        reference = axolotl_template(tname) if tname != "llama2" else src
        if reference is None:
            sys.exit(f"Axolotl's {tname}.jinja not found in {MIRROR}")
        for cname, conv in CONVERSATIONS.items():
            for agp in (False, True):
                variables = {**NAMED_SPECIAL, "messages": conv, "tools": None, "documents": None,
                             "add_generation_prompt": agp}
                if cname in ("tool_use", "mistral_tools"):
                    variables["tools"] = TOOLS
                if tname == "qwen3" and cname == "reasoning":
                    variables["real_last_index"] = 3
                golden = render(reference, variables)
                ours = render(src, variables)
                if ("output" in golden) != ("output" in ours) or golden.get("output") != ours.get("output"):
                    mismatches += 1
                    print(f"MISMATCH named/{tname}/{cname}/{int(agp)}:\n axolotl {golden}\n ours    {ours}",
                          file=sys.stderr)
                cases.append({"id": f"named/{tname}/{cname}/{int(agp)}", "named": tname, "vars": variables,
                              **golden})
    if mismatches:
        sys.exit(f"{mismatches} renders of our named templates differ from Axolotl's")
    json.dump({"generator": "tests/reference/chat_template_render.py", "jinja2": jinja2.__version__,
               "cases": cases}, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
