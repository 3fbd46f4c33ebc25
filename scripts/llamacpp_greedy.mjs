// Greedy generation through llama.cpp (node-llama-cpp's prebuilt bindings), one JSON line per request:
//   node scripts/llamacpp_greedy.mjs NODE_MODULES_DIR MODEL.gguf < requests.jsonl > results.jsonl
// request {"ids": [prompt ids], "n": new tokens, "text": prompt text (optional: llama.cpp's own tokens of it
// are reported, to compare tokenizers)}; result {"tokens": [...], "top": [[[id, logit], ...] per step],
// "text_ids": [...]}. Used by scripts/check_llamacpp.py; tests never need it.
import path from "node:path";
import readline from "node:readline";
import { createRequire } from "node:module";

const [modulesDir, modelPath] = process.argv.slice(2);
if (!modulesDir || !modelPath) {
  console.error("usage: node llamacpp_greedy.mjs NODE_MODULES_DIR MODEL.gguf < requests.jsonl");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(modulesDir), "noop.js"));
const { getLlama } = await import(require.resolve("node-llama-cpp"));

const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const next = { token: true, logits: { filter: { includeTop: 3 } } };

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  const req = JSON.parse(line);
  // A fresh context per prompt, large enough for prompt + generation; the full SWA cache off is llama.cpp's default.
  const context = await model.createContext({ contextSize: Math.max(256, req.ids.length + req.n + 16),
                                              batchSize: 512, sequences: 1 });
  const seq = context.getSequence();
  const tokens = [], top = [];
  let input = req.ids.map((t, i) => (i === req.ids.length - 1 ? [t, { generateNext: next }] : t));
  for (let step = 0; step < req.n; ++step) {
    const out = await seq.controlledEvaluate(input);
    const logits = [...out[out.length - 1].next.logits.entries()].sort((a, b) => b[1] - a[1]);
    const tok = logits[0][0];
    tokens.push(tok);
    top.push(logits.slice(0, 3));
    if (model.isEogToken(tok)) break;
    input = [[tok, { generateNext: next }]];
  }
  const textIds = req.text != null ? [...model.tokenize(req.text, true)] : null;
  process.stdout.write(JSON.stringify({ tokens, top, text_ids: textIds }) + "\n");
  await context.dispose();
}
await model.dispose();
