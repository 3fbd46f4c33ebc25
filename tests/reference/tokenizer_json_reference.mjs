// Goldens for the tokenizer.json backend (tests/data/test_tokenizer_json_golden.cpp), from an
// independent implementation: transformers.js (@huggingface/transformers 3, npm), which reproduces
// Hugging Face's fast-tokenizer ids. Run outside the repo's node_modules, e.g.
//   (cd /work/npm-tok && npm install @huggingface/transformers@3 --ignore-scripts)
//   NODE_PATH=/work/npm-tok/node_modules node tests/reference/tokenizer_json_reference.mjs \
//       ../shared/tokenizers > tests/assets/tokenizer_json_golden.json
import { createRequire } from 'module';
const require = createRequire(process.env.NODE_PATH + '/');
const mod = await import(require.resolve('@huggingface/transformers'));
const { AutoTokenizer, env } = mod.AutoTokenizer ? mod : mod.default;

const root = process.argv[2] || '../shared/tokenizers';
env.allowRemoteModels = false;
env.localModelPath = root.endsWith('/') ? root : root + '/';

const texts = [
  'Hello world',
  ' leading space and trailing space ',
  'multiple   spaces    and\ttabs\t\tand\nnewlines\n\n\nend',
  '\n\n  \t \n',
  'Digits 1 12 123 1234 12345 3.14159 2024-12-01 1,000,000',
  "Contractions: I'm, you're, he's, we've, they'll, I'd, can't, DON'T, It'S",
  'Accents: café naïve résumé Ångström façade Ñandú',
  'Decomposed: cafe\u0301 n\u0303',
  'CJK: 你好，世界！ 日本語のテキスト 한국어 텍스트',
  'Emoji: 😀 👍🏽 👨‍👩‍👧‍👦 🇫🇷 ✨',
  'Rare bytes: \u0000\u0001 \u00ad \u200b \ufeff \u{10FFFF} \u{1D11E}',
  'Special tokens inside text: <|begin_of_text|> <|im_start|>user\nhi<|im_end|> <bos><start_of_turn> <|endoftext|>',
  'Almost special: <|im_start <|begin_of_text <start_of_turn',
  'A very long word: ' + 'supercalifragilisticexpialidocious'.repeat(8) + ' ' + 'a'.repeat(300),
  'Punctuation!!! ??? ... --- ((()))) [x] {y} <z> @#$%^&*_+=~`|\\/',
  'Mixed: naïve_snake_case CamelCaseWord HTTPServer x86_64 e.g. U.S.A.',
  'Code:\n    def f(x):\n        return x ** 2  # square\n',
  'ALL CAPS SENTENCE AND lowercase and MiXeD',
  '',
  ' ',
  'Ünïcödé ǅ ﬁ ① ² ½ Ⅻ',
];

const fs = await import('fs');
const version = JSON.parse(fs.readFileSync(process.env.NODE_PATH + '/@huggingface/transformers/package.json', 'utf8')).version;
const out = { generator: 'transformers.js ' + version, tokenizers: {} };
for (const name of ['llama3', 'qwen3', 'gemma3']) {
  const tok = await AutoTokenizer.from_pretrained(name);
  const cases = [];
  for (const text of texts) {
    const ids = tok.encode(text);
    const plain = tok.encode(text, { add_special_tokens: false });
    cases.push({ text, ids, ids_no_special: plain,
                 decoded: plain.length === 0 ? '' : tok.decode(plain, { skip_special_tokens: false }) });
  }
  out.tokenizers[name] = cases;
}
process.stdout.write(JSON.stringify(out) + '\n');
