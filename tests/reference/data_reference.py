#!/usr/bin/env python3
"""Golden training rows for tests/data/test_row_encoder.cpp, computed the way Python Axolotl does
(FORMATS.md §8-9; axolotl prompters.py AlpacaPrompter, prompt_tokenizers.py _tokenize,
completion.py, input_output.py, chat_template.py find_turn / train_on_eos "turn"), with a minimal
HF LlamaTokenizer (slow, legacy): registered tokens split out longest-first, the rest sp.encode'd.

Usage: /usr/bin/python3 tests/reference/data_reference.py SHARED_DIR OUT_DIR
Writes OUT_DIR/golden_stories260K.json and OUT_DIR/golden_llama2.json.
"""
import json
import os
import sys

import sentencepiece as spm

IGNORE = -100


class Tok:
    """HF LlamaTokenizer (legacy) + Axolotl's special_tokens then tokens registration order."""

    def __init__(self, model, special=None, added=None):
        self.sp = spm.SentencePieceProcessor(model_file=model)
        self.vocab = {self.sp.id_to_piece(i): i for i in range(self.sp.get_piece_size())}
        self.extra = {}
        self.bos, self.eos = self.sp.bos_id(), self.sp.eos_id()
        self.registered = {"<s>", "</s>", "<unk>"}
        for key, value in (special or {}).items():
            tid = self._register(value)
            if key == "eos_token":
                self.eos = tid
            if key == "bos_token":
                self.bos = tid
        for t in added or []:
            self._register(t)

    def _register(self, text):
        self.registered.add(text)
        if text in self.vocab:
            return self.vocab[text]
        if text not in self.extra:
            self.extra[text] = self.sp.get_piece_size() + len(self.extra)
        return self.extra[text]

    def id_of(self, text):
        return self.vocab.get(text, self.extra.get(text))

    def piece(self, tid):
        for k, v in self.extra.items():
            if v == tid:
                return k
        return self.sp.id_to_piece(tid)

    def encode(self, text, add_special_tokens=True):
        ids, i, start = [], 0, 0
        by_len = sorted(self.registered, key=len, reverse=True)
        while i < len(text):
            hit = next((t for t in by_len if text.startswith(t, i)), None)
            if hit:
                if start < i:
                    ids += self.sp.encode(text[start:i])
                ids.append(self.id_of(hit))
                i += len(hit)
                start = i
            else:
                i += 1
        if start < len(text):
            ids += self.sp.encode(text[start:])
        return ([self.bos] if add_special_tokens else []) + ids


def _tokenize(tok, text, max_length, add_eos_token=True, strip_bos_token=False):
    if not text:
        return []
    ids = tok.encode(text)[:max_length]
    if ids and ids[-1] != tok.eos and len(ids) < max_length and add_eos_token:
        ids.append(tok.eos)
    if ids and ids[0] == tok.bos and strip_bos_token:
        ids = ids[1:]
    return ids


SYS = ("Below is an instruction that describes a task, paired with an input that provides further context. "
       "Write a response that appropriately completes the request.")
SYS_NO_INPUT = "Below is an instruction that describes a task. Write a response that appropriately completes the request."
STYLES = {
    "alpaca": ("### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n",
               "### Instruction:\n{instruction}\n\n### Response:\n", "{system}\n\n"),
    "alpaca:chat": ("USER: {instruction}\n{input}\nASSISTANT:", "USER: {instruction}\nASSISTANT:", "SYSTEM: {system}\n"),
    "alpaca:chatml": ("<|im_start|>user\n{instruction}\n{input}<|im_end|>\n<|im_start|>assistant\n",
                      "<|im_start|>user\n{instruction}<|im_end|>\n<|im_start|>assistant\n",
                      "<|im_start|>system\n{system}<|im_end|>\n"),
}


def instruction_rows(tok, ds, rec, seq_len, train_on_inputs):
    fi, fin, fo = ds.get("field_instruction", "instruction"), ds.get("field_input", "input"), ds.get("field_output", "output")
    instruction, inp, output = rec[fi], rec.get(fin) or "", rec[fo]
    if ds.get("format"):
        turn, no_input, sys_fmt = ds["format"], ds.get("no_input_format") or ds["format"], ds.get("system_format", "{system}")
        system = ds.get("system_prompt", "")
        system_no = system
    else:
        turn, no_input, sys_fmt = STYLES[ds["type"] if ds["type"] in STYLES else "alpaca"]
        system, system_no = SYS, SYS_NO_INPUT
        if ds.get("system_prompt"):
            system = system_no = ds["system_prompt"]
    if ds.get("field_system") and rec.get(ds["field_system"]):
        system = system_no = rec[ds["field_system"]]
    if inp:
        prompt = (sys_fmt.format(system=system) if system else "") + turn.format(instruction=instruction, input=inp)
    else:
        prompt = (sys_fmt.format(system=system_no) if system_no else "") + no_input.format(instruction=instruction)
    p = _tokenize(tok, prompt, seq_len, add_eos_token=False)
    labels = list(p) if train_on_inputs else [IGNORE] * len(p)
    r = _tokenize(tok, output, seq_len, add_eos_token=True, strip_bos_token=True)
    return [(p + r, labels + r)]


def completion_rows(tok, ds, rec, seq_len):
    ids = _tokenize(tok, rec[ds.get("field") or "text"], seq_len * 64)
    return [(ids[i:i + seq_len], ids[i:i + seq_len]) for i in range(0, len(ids), seq_len)]


def input_output_rows(tok, rec, train_on_inputs):
    ids, labels = [], []
    for seg in rec["segments"]:
        t = tok.encode(seg["text"], add_special_tokens=False) if seg["text"] else []
        ids += t
        labels += t if (seg["label"] or train_on_inputs) else [IGNORE] * len(t)
    return [(ids, labels)]


def render(template, msgs, bos, eos):
    """The Jinja templates of FORMATS.md §9 / Axolotl templates/*.jinja, written out."""
    out = ""
    if template == "chatml":
        return "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in msgs)
    if template == "llama3":
        for i, m in enumerate(msgs):
            out += (bos if i == 0 else "") + f"<|start_header_id|>{m['role']}<|end_header_id|>\n\n{m['content'].strip()}<|eot_id|>"
        return out
    if template == "llama2":
        system = None
        if msgs and msgs[0]["role"] == "system":
            system, msgs = msgs[0]["content"], msgs[1:]
        for i, m in enumerate(msgs):
            assert (m["role"] == "user") == (i % 2 == 0)
            content = f"<<SYS>>\n{system}\n<</SYS>>\n\n{m['content']}" if i == 0 and system is not None else m["content"]
            if m["role"] == "user":
                out += bos + "[INST] " + content.strip() + " [/INST]"
            elif m["role"] == "assistant":
                out += " " + content.strip() + " " + eos
        return out
    if template == "mistral":
        out = bos
        for i, m in enumerate(msgs):
            assert (m["role"] == "user") == (i % 2 == 0)
            out += f" [INST] {m['content']} [/INST]" if m["role"] == "user" else " " + m["content"] + eos
        return out
    if template == "alpaca":
        out = bos
        for i, m in enumerate(msgs):
            if m["role"] == "system" and i == 0:
                out += m["content"]
            elif m["role"] == "user":
                out += "### Instruction:\n" + m["content"]
            elif m["role"] == "assistant":
                out += "### Response:\n" + m["content"] + eos
            if i + 1 < len(msgs):
                out += "\n\n"
        return out
    raise ValueError(template)


def chat_rows(tok, ds, rec, train_on_inputs):
    sharegpt = ds["type"] == "sharegpt"
    field = ds.get("field_messages", "conversations" if sharegpt else "messages")
    maps = ds.get("message_property_mappings", {"role": "from", "content": "value"} if sharegpt else {"role": "role", "content": "content"})
    roles = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system", "tool": "tool"}
    turns = [{"role": roles.get(m[maps["role"]], m[maps["role"]]), "content": m[maps["content"]]} for m in rec[field]]
    to_train = ds.get("roles_to_train", ["assistant"])
    bos, eos = tok.piece(tok.bos), tok.piece(tok.eos)

    def build(ts):
        text = render(ds["chat_template"], ts, bos, eos)
        return tok.encode(text, add_special_tokens=False) if text else []

    ids = build(turns)
    labels = [IGNORE] * len(ids)
    for idx, turn in enumerate(turns):
        should_train = train_on_inputs or turn["role"] in to_train
        dummy = build(turns[:idx] + [{"role": turn["role"], "content": "[[dummy_message]]"}])
        full = build(turns[:idx + 1])
        start = end = -1
        if dummy and full:
            n = min(len(dummy), len(full))
            s = next((i for i in range(n) if dummy[i] != full[i]), None)
            e = next((len(full) - i for i in range(n) if dummy[len(dummy) - 1 - i] != full[len(full) - 1 - i]), None)
            if s is not None and e is not None and e > s:
                start, end = s, e
        if should_train and start != -1:
            labels[start:end] = ids[start:end]
        eos_idx = next((i for i in range(end, len(ids)) if ids[i] == tok.eos), -1)
        if abs(eos_idx - end) <= 3 and should_train and ds.get("train_on_eos", "turn") == "turn":
            labels[eos_idx] = ids[eos_idx]
    return [(ids, labels)]


def rows_for(tok, case):
    ds, seq_len, toi = case["dataset"], case["sequence_len"], case.get("train_on_inputs", False)
    out = []
    for rec in case["records"]:
        t = ds["type"]
        if t in ("alpaca", "alpaca:chat", "alpaca:chatml", "custom"):
            out += instruction_rows(tok, ds, rec, seq_len, toi)
        elif t == "completion":
            out += completion_rows(tok, ds, rec, seq_len)
        elif t == "input_output":
            out += input_output_rows(tok, rec, toi)
        elif t in ("chat_template", "sharegpt"):
            out += chat_rows(tok, ds, rec, toi)
        elif t == "pretokenized":
            out += [(rec["input_ids"], rec.get("labels", rec["input_ids"]))]
    return [{"input_ids": a, "labels": b} for a, b in out]


ALPACA = [
    {"instruction": "Give the capital of France.", "input": "", "output": "Paris."},
    {"instruction": "Uppercase the word.", "input": "hello", "output": "HELLO"},
    {"instruction": "Say hi  twice,\nthen stop.", "output": " hi hi"},
    {"instruction": "Ünïcödé?", "input": "日本", "output": "Yes — 日本 is Japan. 🎉"},
]
CHATS = [
    {"messages": [{"role": "user", "content": "Hello there"}, {"role": "assistant", "content": "Hi! How can I help?"}]},
    {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2+2?"},
                  {"role": "assistant", "content": "4"}, {"role": "user", "content": "And 3+3?"},
                  {"role": "assistant", "content": " 6 "}]},
]
SHAREGPT = [{"conversations": [{"from": "human", "value": "Name a colour."}, {"from": "gpt", "value": "Blue."},
                               {"from": "human", "value": "Another?"}, {"from": "gpt", "value": "Green."}]}]


def cases():
    c = []
    for t in ("alpaca", "alpaca:chat", "alpaca:chatml"):
        c.append({"name": t, "dataset": {"type": t}, "sequence_len": 2048, "records": ALPACA})
    c.append({"name": "alpaca_train_on_inputs", "dataset": {"type": "alpaca"}, "sequence_len": 2048,
              "train_on_inputs": True, "records": ALPACA[:2]})
    c.append({"name": "alpaca_truncated", "dataset": {"type": "alpaca"}, "sequence_len": 24, "records": ALPACA[:2]})
    c.append({"name": "user_defined", "dataset": {"type": "custom", "field_instruction": "q", "field_input": "ctx",
                                                  "field_output": "a", "field_system": "sys",
                                                  "format": "[INST] {instruction} {input} [/INST]",
                                                  "no_input_format": "[INST] {instruction} [/INST]",
                                                  "system_format": "<<{system}>>\n"},
              "sequence_len": 2048,
              "records": [{"q": "Add 2 and 3.", "ctx": "math", "a": "5", "sys": "You add."},
                          {"q": "Reverse abc.", "a": "cba"}]})
    c.append({"name": "custom_mapping", "dataset": {"type": "custom", "field_instruction": "prompt", "field_output": "answer"},
              "sequence_len": 2048, "records": [{"prompt": "Spell cat.", "answer": "c-a-t"}]})
    c.append({"name": "completion", "dataset": {"type": "completion"}, "sequence_len": 16,
              "records": [{"text": "Once upon a time there was a little girl who liked to play in the park with her dog."},
                          {"text": "Short."}]})
    c.append({"name": "completion_field", "dataset": {"type": "completion", "field": "body"}, "sequence_len": 64,
              "records": [{"body": "The sun was warm."}]})
    c.append({"name": "input_output", "dataset": {"type": "input_output"}, "sequence_len": 2048,
              "records": [{"segments": [{"label": False, "text": "<s>Question: hi\n"}, {"label": True, "text": "Answer: hello</s>"}]},
                          {"segments": [{"label": True, "text": "all trained"}, {"label": False, "text": " not this"}]}]})
    for tmpl in ("chatml", "llama2", "llama3", "alpaca"):
        c.append({"name": "chat_" + tmpl, "dataset": {"type": "chat_template", "chat_template": tmpl},
                  "sequence_len": 2048, "records": CHATS})
    c.append({"name": "chat_mistral", "dataset": {"type": "chat_template", "chat_template": "mistral"},
              "sequence_len": 2048, "records": CHATS[:1]})
    c.append({"name": "sharegpt_llama2", "dataset": {"type": "sharegpt", "chat_template": "llama2"},
              "sequence_len": 2048, "records": SHAREGPT})
    c.append({"name": "chat_roles_user_too", "dataset": {"type": "chat_template", "chat_template": "llama2",
                                                         "roles_to_train": ["user", "assistant"]},
              "sequence_len": 2048, "records": CHATS[1:]})
    c.append({"name": "chatml_added_tokens", "dataset": {"type": "chat_template", "chat_template": "chatml"},
              "special_tokens": {"eos_token": "<|im_end|>"}, "added_tokens": ["<|im_start|>", "<|im_end|>"],
              "sequence_len": 2048, "records": CHATS})
    c.append({"name": "pretokenized", "dataset": {"type": "pretokenized"}, "sequence_len": 2048,
              "records": [{"input_ids": [1, 5, 6, 7, 2]}, {"input_ids": [1, 8, 9, 2], "labels": [-100, -100, 9, 2],
                                                           "attention_mask": [1, 1, 1, 1]}]})
    return c


def main():
    shared, out_dir = sys.argv[1], sys.argv[2]
    for name, model in (("stories260K", "models/stories260K/tokenizer.model"), ("llama2", "tokenizers/llama2/tokenizer.model")):
        golden = []
        for case in cases():
            tok = Tok(os.path.join(shared, model), case.get("special_tokens"), case.get("added_tokens"))
            golden.append({**case, "rows": rows_for(tok, case)})
        with open(os.path.join(out_dir, f"golden_{name}.json"), "w", encoding="utf-8") as f:
            json.dump({"tokenizer": model, "generator": "tests/reference/data_reference.py", "cases": golden}, f,
                      ensure_ascii=False, separators=(",", ":"))
            f.write("\n")


if __name__ == "__main__":
    main()
