#!/usr/bin/python3
"""Goldens for TRL's conversational preference rows (passthrough datasets whose prompt / chosen / rejected
are message lists): TRL 1.8's own is_conversational, extract_prompt, apply_chat_template and _tokenize,
taken from trl/data_utils.py in the TRL mirror ($TRL_MIRROR, tag v1.8.0) and run unchanged; DPOTrainer's
tokenize_fn (the prompt with the generation prompt, prompt + reply, ids sliced at the prompt's length)
is written out below from trl/trainer/dpo_trainer.py. What is stubbed: the tokenizer, whose
apply_chat_template is transformers' Jinja2 set-up (chat_template_render.make_env) plus transformers'
continue_final_message cut (written from transformers' tokenization_utils_base.py), and whose ids are
3 + each UTF-8 byte (tests/data/byte_tokenizer.h), so that the C++ test needs no model files.

Templates: our named chatml (src/data/chat_templates/chatml.jinja) and the real llama3, qwen3 and gemma3
templates from ../shared/tokenizers/*/tokenizer_config.json (read, not copied).
Each case: template, row, want: {dpo: {prompt_ids, chosen_ids, rejected_ids}, orpo: {prompt, chosen,
rejected}} (either may be {error: ...} where TRL raises).

Usage: /usr/bin/python3 tests/reference/conversational_preference_reference.py \\
         > tests/assets/data/conversational_preference_golden.json
Test: tests/data/test_conversational_preference.cpp.
"""
import ast
import json
import os
import re
import subprocess
import sys
import typing
from itertools import takewhile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chat_template_render import ENV, SPECIAL, named_templates, tokenizer_template  # noqa: E402

TRL = os.environ.get("TRL_MIRROR", "/work/.mirror/huggingface+trl/repo")
TRL_TAG = "v1.8.0"


class ProcessorMixin:  # isinstance() target in TRL's _tokenize; our stub is a plain tokenizer
    pass


def trl_functions(names):
    """The named top-level functions of TRL's data_utils.py, executed from their source."""
    source = subprocess.run(["git", "--git-dir", TRL, "show", f"{TRL_TAG}:trl/data_utils.py"], check=True,
                            capture_output=True, text=True).stdout
    tree = ast.parse(source)
    body = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in names]
    missing = set(names) - {n.name for n in body}
    if missing:
        sys.exit(f"not in TRL {TRL_TAG} data_utils.py: {sorted(missing)}")
    namespace = {"takewhile": takewhile, "ProcessorMixin": ProcessorMixin, "PreTrainedTokenizerBase": object,
                 "Callable": typing.Callable, "Any": typing.Any, "Sequence": typing.Sequence, "TypeVar": typing.TypeVar,
                 "prepare_multimodal_messages": None}
    namespace.update({k: getattr(typing, k) for k in ("Optional", "Union")})
    exec(compile(ast.Module(body=body, type_ignores=[]), "trl/data_utils.py", "exec"), namespace)
    return {n: namespace[n] for n in names}


F = trl_functions(["is_conversational", "extract_prompt", "apply_chat_template", "_tokenize"])


class ByteChatTokenizer:
    def __init__(self, template, special):
        self.template = ENV.from_string(template)
        self.special = special

    def apply_chat_template(self, conversation, tools=None, tokenize=False, add_generation_prompt=False,
                            continue_final_message=False, return_dict=False, **kwargs):
        rendered = self.template.render(messages=conversation, tools=tools, documents=None,
                                        add_generation_prompt=add_generation_prompt, **self.special, **kwargs)
        if continue_final_message:  # transformers: cut right after the final message's text
            final = conversation[-1]["content"]
            if final.strip() not in rendered:
                raise ValueError("continue_final_message: the final message is not in the rendering")
            at = rendered.rindex(final.strip())
            if rendered[at: at + len(final.lstrip())] == final:
                rendered = rendered[: at + len(final.lstrip())]
            else:
                rendered = rendered[: at + len(final.strip())]
        if not tokenize:
            return rendered
        ids = [3 + b for b in rendered.encode("utf-8")]  # add_special_tokens=False
        return {"input_ids": ids} if return_dict else ids


def dpo_tokenize(example, tok):
    """DPOTrainer._prepare_dataset for a conversational row: extract_prompt when there is no prompt, then
    tokenize_fn (tools and chat_template_kwargs from the row)."""
    if "prompt" not in example:
        example = {**example, **F["extract_prompt"](example)}
    tools = example.get("tools")
    tools = json.loads(tools) if isinstance(tools, str) else tools
    kwargs = {"tools": tools, **example.get("chat_template_kwargs", {})}
    prompt_ids = F["_tokenize"](tok, example["prompt"], add_generation_prompt=True, **kwargs)["input_ids"]
    chosen = F["_tokenize"](tok, example["prompt"] + example["chosen"], **kwargs)["input_ids"]
    rejected = F["_tokenize"](tok, example["prompt"] + example["rejected"], **kwargs)["input_ids"]
    return {"prompt_ids": prompt_ids, "chosen_ids": chosen[len(prompt_ids):], "rejected_ids": rejected[len(prompt_ids):]}


def orpo_strings(example, tok):
    """ORPO/CPO: maybe_extract_prompt, then maybe_apply_chat_template (no tools: the trainers pass none)."""
    if "prompt" not in example:
        example = {**example, **F["extract_prompt"](example)}
    keys = {k: example[k] for k in ("prompt", "chosen", "rejected", "chat_template_kwargs") if k in example}
    out = F["apply_chat_template"](keys, tok)
    return {"prompt": out["prompt"], "chosen": out["chosen"], "rejected": out["rejected"]}


def attempt(fn, *args):
    try:
        return fn(*args)
    except Exception as e:  # TRL or the template raises: the C++ side must refuse the row too
        return {"error": type(e).__name__ + ": " + str(e)}


WEATHER = [{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]

ROWS = [
    {"prompt": [{"role": "user", "content": "What color is the sky?"}],
     "chosen": [{"role": "assistant", "content": "It is blue."}],
     "rejected": [{"role": "assistant", "content": "It is green."}]},
    {"prompt": [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "2+2?"},
                {"role": "assistant", "content": "4"}, {"role": "user", "content": "And 3+3? ünï 你好"}],
     "chosen": [{"role": "assistant", "content": "6"}],
     "rejected": [{"role": "assistant", "content": "Probably 7, but let me think."}]},
    # implicit prompt: TRL's extract_prompt splits where the conversations first differ
    {"chosen": [{"role": "user", "content": "Where is the sun?"}, {"role": "assistant", "content": "In the sky."}],
     "rejected": [{"role": "user", "content": "Where is the sun?"}, {"role": "assistant", "content": "In the sea."}]},
    # the prompt ends with an assistant turn: ORPO/CPO continue it (continue_final_message)
    {"prompt": [{"role": "user", "content": "Finish: the cat"}, {"role": "assistant", "content": "The cat sat"}],
     "chosen": [{"role": "assistant", "content": " on the mat."}],
     "rejected": [{"role": "assistant", "content": " flew away."}]},
    # the row's own chat_template_kwargs (Qwen3's enable_thinking) and tools (DPO only)
    {"prompt": [{"role": "user", "content": "Think first?"}],
     "chosen": [{"role": "assistant", "content": "No."}], "rejected": [{"role": "assistant", "content": "Yes!"}],
     "chat_template_kwargs": {"enable_thinking": False}},
    {"prompt": [{"role": "user", "content": "Weather in Paris?"}],
     "chosen": [{"role": "assistant", "content": "Let me check."}],
     "rejected": [{"role": "assistant", "content": "Rain."}], "tools": json.dumps(WEATHER)},
    # a prompt ending with a system turn: ORPO/CPO's apply_chat_template raises
    {"prompt": [{"role": "user", "content": "hi"}, {"role": "system", "content": "late system"}],
     "chosen": [{"role": "assistant", "content": "a"}], "rejected": [{"role": "assistant", "content": "b"}]},
]


def main():
    named = named_templates()
    templates = {"chatml": (named["chatml"], {"bos_token": "<s>", "eos_token": "</s>"})}
    for name in ("llama3", "qwen3", "gemma3"):
        templates[name] = (tokenizer_template(name), SPECIAL[name])
    cases = []
    for name, (source, special) in templates.items():
        tok = ByteChatTokenizer(source, special)
        for row in ROWS:
            assert F["is_conversational"](row)
            cases.append({"template": name, "special": special, "row": row,
                          "want": {"dpo": attempt(dpo_tokenize, row, tok), "orpo": attempt(orpo_strings, row, tok)}})
    text = json.dumps({"trl": TRL_TAG, "cases": cases}, ensure_ascii=False, indent=1)
    # id lists on one line each
    text = re.sub(r"\[\s*(\d+(?:,\s*\d+)*)\s*\]", lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]", text)
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
