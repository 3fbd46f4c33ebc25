#!/usr/bin/python3
"""Golden encodings for tests/data/test_tokenizer_golden.cpp, from python3-sentencepiece.

Usage: /usr/bin/python3 tests/reference/tokenizer_reference.py [SHARED_DIR] > tests/assets/tokenizer_golden.json
       /usr/bin/python3 tests/reference/tokenizer_reference.py train CORPUS OUT.model VOCAB SEED
         (the tiny tokenizer trained by python sentencepiece with data::train_tokenizer's flags;
          test_tokenizer.cpp checks that the C++ trainer writes the same bytes)
       /usr/bin/python3 tests/reference/tokenizer_reference.py bench MODEL TEXT_FILE REPS
         (single-thread sp.encode throughput over the file's lines, CPU time; prints "<tokens> <seconds>")

For every case and tokenizer it records:
  sp_ids  = sp.encode(text)                     (plain sentencepiece, no bos/eos)
  ids     = HF LlamaTokenizer (slow, legacy) ids without bos/eos: the registered special tokens
            <unk>, <s>, </s> are split out of the text (longest match first, leftmost first) and
            each piece of text between them is encoded with sp.encode; equal to sp_ids when the
            text holds no special token
  decoded = sp.decode(sp_ids)
"""
import json
import os
import sys

import sentencepiece as spm

CASES = [
    "", " ", "  ", "   ", "a", "Z", "hello", "Hello world", "Hello, world!",
    " leading space", "trailing space ", "  two leading", "multiple   spaces   inside",
    "\n", "\n\n", "line one\nline two", "ends with newline\n", "mixed\r\nCRLF", "  \n  ",
    "tab\tseparated\tvalues", "\t\tindented", "naïve café résumé", "Ünïcödé ß ø Æ",
    "emoji 😀 and 🚀!", "🦙", "CJK: 你好，世界", "日本語のテキスト", "한국어 문장", "Привет, мир",
    "مرحبا بالعالم", "zero\u200bwidth", "combining e\u0301 vs \u00e9", "\u2581 lower one eighth block",
    "<0x41> looks like a byte piece", "numbers 12345 and 3.14159 and 1,000,000", "2024-06-11 12:30:00",
    "punctuation!?.,;:'\"()[]{}<>", "url https://example.com/path?q=1&x=2",
    "code: for (int i = 0; i < n; ++i) { x += i; }",
    "### Instruction:\nWrite a poem about the sea.\n\n### Response:\n",
    "Once upon a time, there was a little girl named Lily. She loved to play outside.",
    "<s>", "</s>", "<unk>", "<s>hello</s>", "text with <s> inside and </s> at the end",
    "<s><s></s>", " <s> ", "a<unk>b", "<s incomplete", "</s",
]
SPECIALS = ["<unk>", "<s>", "</s>"]


def hf_split_encode(sp, text):
    specials = sorted(SPECIALS, key=lambda s: (-len(s), s))
    ids, start, i = [], 0, 0
    while i < len(text):
        match = next((s for s in specials if text.startswith(s, i)), None)
        if match is None:
            i += 1
            continue
        if i > start:
            ids += sp.encode(text[start:i])
        ids.append(sp.piece_to_id(match))
        i += len(match)
        start = i
    if start < len(text):
        ids += sp.encode(text[start:])
    return ids


def train(corpus, out_path, vocab_size, seed):
    import io
    with open(corpus, encoding="utf-8") as f:
        lines = [l.rstrip("\r") for l in f.read().split("\n") if l.rstrip("\r")]
    model = io.BytesIO()
    spm.set_random_generator_seed(seed)
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=model, model_type="bpe", vocab_size=vocab_size,
        character_coverage=1.0, byte_fallback=True, num_threads=1, unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        normalization_rule_name="identity", remove_extra_whitespaces=False, add_dummy_prefix=True,
        split_digits=True, allow_whitespace_only_pieces=True, max_sentence_length=16384, input_sentence_size=0,
        shuffle_input_sentence=False, minloglevel=4)
    with open(out_path, "wb") as f:
        f.write(model.getvalue())


def bench(model, text_file, reps):
    import time
    sp = spm.SentencePieceProcessor(model_file=model)
    with open(text_file, encoding="utf-8") as f:
        lines = f.read().split("\n")
    tokens, start = 0, time.process_time()
    for _ in range(reps):
        for line in lines:
            tokens += len(sp.encode(line))
    print(tokens, time.process_time() - start)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "bench":
        bench(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    if len(sys.argv) == 6 and sys.argv[1] == "train":
        train(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        return
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../../shared")
    out = {"generator": "tests/reference/tokenizer_reference.py",
           "sentencepiece": spm.__version__, "tokenizers": {}}
    for name, rel in [("llama2", "tokenizers/llama2/tokenizer.model"),
                      ("stories260K", "models/stories260K/tokenizer.model")]:
        sp = spm.SentencePieceProcessor(model_file=os.path.join(shared, rel))
        cases = []
        for text in CASES:
            sp_ids = sp.encode(text)
            cases.append({"text": text, "sp_ids": sp_ids, "ids": hf_split_encode(sp, text),
                          "decoded": sp.decode(sp_ids)})
        out["tokenizers"][name] = {"path": rel, "piece_size": sp.get_piece_size(), "bos_id": sp.bos_id(),
                                   "eos_id": sp.eos_id(), "unk_id": sp.unk_id(), "pad_id": sp.pad_id(),
                                   "cases": cases}
    json.dump(out, sys.stdout, ensure_ascii=True, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
