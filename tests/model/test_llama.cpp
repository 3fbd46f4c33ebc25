// LlamaForCausalLM against golden outputs of tests/reference/llama_reference.py (HF semantics written
// out in plain torch): logits, greedy decoding with and without the KV cache, packed sequences,
// sharded bf16 loading, weight-loading errors, and the shared stories260K model.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "axolotl/data/tokenizer.h"
#include "axolotl/io/safetensors.h"
#include "axolotl/io/sharded_writer.h"
#include "axolotl/model/attention_mask.h"
#include "axolotl/model/generator.h"
#include "axolotl/model/llama_model.h"
#include "axolotl/model/rotary_embedding.h"
#include "axolotl/model/text_stream.h"
#include "axolotl/model/weight_loader.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::model {
namespace {
namespace fs = std::filesystem;
using testing::TempDir;

fs::path asset(const std::string& name) { return testing::source_dir() / "tests" / "assets" / "model" / name; }

nlohmann::json read_json(const fs::path& p) { return nlohmann::json::parse(testing::read_file(p)); }

LlamaForCausalLM load(const fs::path& folder, torch::ScalarType dtype = torch::kFloat32) {
  LlamaForCausalLM m(load_llama_config(folder.string()), torch::TensorOptions().dtype(dtype));
  load_weights(*m, folder.string());
  m->eval();
  return m;
}

torch::Tensor ids_tensor(const std::vector<int64_t>& ids) { return torch::tensor(ids, torch::kInt64).unsqueeze(0); }

std::vector<int64_t> json_ids(const nlohmann::json& j) { return j.get<std::vector<int64_t>>(); }

torch::Tensor golden_logits(const nlohmann::json& g) {
  auto rows = g.at("logits").get<std::vector<std::vector<float>>>();
  std::vector<float> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return torch::tensor(flat).view({static_cast<int64_t>(rows.size()), -1});  // (T, V)
}

std::vector<int64_t> greedy(LlamaForCausalLMImpl& m, const std::vector<int64_t>& prompt, int n, bool cache) {
  GenerationOptions o;
  o.max_new_tokens = n;
  o.eos_ids = {-1};  // never stop early: the reference does not
  o.use_cache = cache;
  return generate(m, prompt, o).tokens;
}

class TinyGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(TinyGolden, LogitsMatchReference) {
  torch::NoGradGuard no_grad;
  auto m = load(asset(GetParam()));
  auto g = read_json(asset(GetParam()) / "golden.json");
  auto logits = m->forward(ids_tensor(json_ids(g.at("input_ids"))))[0];  // (T, V)
  auto expected = golden_logits(g);
  EXPECT_LT((logits - expected).abs().max().item<float>(), 1e-4) << "golden from tests/reference/llama_reference.py";
}

TEST_P(TinyGolden, GreedyMatchesReferenceWithAndWithoutCache) {
  auto m = load(asset(GetParam()));
  auto g = read_json(asset(GetParam()) / "golden.json");
  const auto expected = json_ids(g.at("greedy"));
  const auto prompt = json_ids(g.at("prompt"));
  EXPECT_EQ(greedy(*m, prompt, static_cast<int>(expected.size()), true), expected);
  EXPECT_EQ(greedy(*m, prompt, static_cast<int>(expected.size()), false), expected);
}

TEST_P(TinyGolden, NamedParametersAreCheckpointKeys) {
  auto m = load(asset(GetParam()));
  auto file = io::SafetensorsFile::open((asset(GetParam()) / "model.safetensors").string());
  std::vector<std::string> keys, names;
  for (const auto& t : file->tensors()) keys.push_back(t.name);
  for (const auto& p : m->named_parameters()) names.push_back(p.key());
  std::sort(keys.begin(), keys.end());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(keys, names);
}

INSTANTIATE_TEST_SUITE_P(Model, TinyGolden, ::testing::Values("tiny_tied", "tiny_untied"));

// The position limit bounds generation: a prompt at or past it is an error naming both numbers (no
// forward over it, so a huge prompt cannot exhaust memory); new tokens stop at the limit.
// A checkpoint with a NaN in one tensor is refused while loading, naming the file and tensor.
TEST(WeightLoading, NonFiniteWeightsAreRefused) {
  testing::TempDir dir;
  fs::copy(asset("tiny_tied"), dir.path() / "m", fs::copy_options::recursive);
  const fs::path file = dir.path() / "m" / "model.safetensors";
  std::string bytes = testing::read_file(file);
  const auto h = io::parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x");
  const io::TensorInfo* victim = nullptr;
  for (const auto& t : h.tensors)
    if (t.dtype == io::DType::kF32 && t.name.find("mlp.up_proj") != std::string::npos) victim = &t;
  ASSERT_NE(victim, nullptr);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(bytes.data() + h.data_start + victim->begin + 4, &nan, 4);
  testing::write_file(file, bytes);
  try {
    load(dir.path() / "m");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("NaN or infinity"), std::string::npos) << what;
    EXPECT_NE(what.find(victim->name), std::string::npos) << what;
    EXPECT_NE(what.find("model.safetensors"), std::string::npos) << what;
  }
}

TEST(Generation, PromptAndNewTokensStayWithinThePositionLimit) {
  auto m = load(asset("tiny_tied"));
  const int64_t limit = m->config().max_position_embeddings;
  try {
    greedy(*m, std::vector<int64_t>(static_cast<size_t>(limit) + 100, 1), 4, true);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("longer than the model's context"), std::string::npos) << what;
    EXPECT_NE(what.find(std::to_string(limit)), std::string::npos) << what;
  }
  const auto tokens = greedy(*m, std::vector<int64_t>(static_cast<size_t>(limit) - 3, 1), 50, true);
  EXPECT_EQ(tokens.size(), 3u);
}

TEST(LlamaModel, PackedSequencesMatchSeparateRuns) {
  torch::NoGradGuard no_grad;
  auto m = load(asset("tiny_tied"));
  const std::vector<int64_t> a{1, 5, 9, 13, 17}, b{1, 40, 33, 8};
  std::vector<int64_t> packed = a;
  packed.insert(packed.end(), b.begin(), b.end());
  packed.insert(packed.end(), {0, 0});  // padding
  ForwardArgs args;
  args.segment_ids = torch::tensor({1, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0}, torch::kInt64).unsqueeze(0);  // (1, 11)
  auto out = m->forward(ids_tensor(packed), args)[0];  // (11, V)
  auto la = m->forward(ids_tensor(a))[0];                // (5, V)
  auto lb = m->forward(ids_tensor(b))[0];                // (4, V)
  EXPECT_LT((out.narrow(0, 0, 5) - la).abs().max().item<float>(), 1e-5);
  EXPECT_LT((out.narrow(0, 5, 4) - lb).abs().max().item<float>(), 1e-5);
  EXPECT_FALSE(out.isnan().any().item<bool>());
}

TEST(LlamaModel, LeftPaddedBatchMatchesSingleRows) {
  torch::NoGradGuard no_grad;
  auto m = load(asset("tiny_untied"));
  auto single = m->forward(ids_tensor({1, 7, 9}))[0];  // (3, V)
  ForwardArgs args;
  args.segment_ids = torch::tensor({0, 0, 1, 1, 1}, torch::kInt64).unsqueeze(0);  // HF attention_mask
  auto padded = m->forward(ids_tensor({0, 0, 1, 7, 9}), args)[0];                  // (5, V)
  EXPECT_LT((padded.narrow(0, 2, 3) - single).abs().max().item<float>(), 1e-5);
}

TEST(LlamaModel, PositionsRestartPerSegment) {
  auto seg = torch::tensor({1, 1, 1, 2, 2, 3, 0, 0}, torch::kInt64).unsqueeze(0);
  auto pos = positions_from_segments(seg);
  EXPECT_TRUE(pos.equal(torch::tensor({0, 1, 2, 0, 1, 0, 0, 1}, torch::kInt64).unsqueeze(0)));
}

TEST(LlamaModel, SlidingWindowLimitsKeys) {
  auto seg = torch::ones({1, 4}, torch::kInt64);
  auto allowed = attention_allowed(seg, seg, 0, 2)[0][0];  // (4, 4)
  EXPECT_TRUE(allowed.equal(torch::tensor({1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1}, torch::kBool).view({4, 4})));
}

// transformers' right padding: a padding query sees the earlier real tokens, never padding; tokens
// see the same keys either way. The default keeps padding to itself.
TEST(LlamaModel, PaddingSeesTokensAsTransformersMasksIt) {
  auto seg = torch::tensor({1, 1, 1, 0, 0}, torch::kInt64).unsqueeze(0);
  auto hf = attention_allowed(seg, seg, 0, std::nullopt, true)[0][0];  // (5, 5)
  EXPECT_TRUE(hf.equal(torch::tensor({1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0},
                                     torch::kBool).view({5, 5})));
  auto own = attention_allowed(seg, seg, 0, std::nullopt)[0][0];
  EXPECT_TRUE(own.narrow(0, 0, 3).equal(hf.narrow(0, 0, 3)));
  EXPECT_TRUE(own.narrow(0, 3, 2).equal(torch::tensor({0, 0, 0, 1, 0, 0, 0, 0, 1, 1}, torch::kBool).view({2, 5})));
}

// attention.cpp takes LibTorch's CPU bf16 softmax for HF's softmax(float32).to(bf16): the same
// values on this LibTorch, masked rows (a very negative fill) included.
TEST(Attention, Bf16SoftmaxEqualsFloat32ThenCast) {
  torch::manual_seed(7);
  auto scores = (torch::randn({2, 3, 64, 64}) * 6).to(torch::kBFloat16);  // (B, nh, T, S)
  auto causal = torch::ones({64, 64}, torch::kBool).tril();
  scores = scores.masked_fill(causal.logical_not(), -3.3895313892515355e38);
  auto ours = torch::softmax(scores, -1);
  auto hf = torch::softmax(scores, -1, torch::kFloat32).to(torch::kBFloat16);
  EXPECT_TRUE(ours.equal(hf)) << (ours.to(torch::kFloat32) - hf.to(torch::kFloat32)).abs().max().item<double>();
}

// RMSNorm's hand-written backward against autograd through HF's formula, float32 and bf16.
TEST(RmsNorm, MatchesAutogradThroughTheHfFormula) {
  for (auto dtype : {torch::kFloat32, torch::kBFloat16}) {
    torch::manual_seed(11);
    RMSNorm norm(48, 1e-5, torch::TensorOptions().dtype(dtype));
    {
      torch::NoGradGuard no_grad;
      norm->weight.copy_(torch::rand({48}) + 0.5);
    }
    auto x = (torch::randn({3, 5, 48}) * 2).to(dtype).requires_grad_(true);
    auto w = norm->weight.detach().clone().requires_grad_(true);
    auto x_ref = x.detach().clone().requires_grad_(true);
    auto x32 = x_ref.to(torch::kFloat32);
    auto ref = w * (x32 * torch::rsqrt(x32.pow(2).mean(-1, true) + 1e-5)).to(dtype);  // HF LlamaRMSNorm
    auto ours = norm->forward(x);
    EXPECT_TRUE(ours.equal(ref)) << "forward must be HF's values exactly";
    auto g = torch::randn(ref.sizes()).to(dtype);
    ours.backward(g);
    ref.backward(g);
    const double tol = dtype == torch::kFloat32 ? 1e-5 : 2e-2;
    EXPECT_TRUE(torch::allclose(x.grad().to(torch::kFloat32), x_ref.grad().to(torch::kFloat32), tol, tol))
        << (x.grad().to(torch::kFloat32) - x_ref.grad().to(torch::kFloat32)).abs().max().item<double>();
    EXPECT_TRUE(torch::allclose(norm->weight.grad().to(torch::kFloat32), w.grad().to(torch::kFloat32), tol * 10, tol * 10))
        << (norm->weight.grad().to(torch::kFloat32) - w.grad().to(torch::kFloat32)).abs().max().item<double>();
  }
}

TEST(Rope, ScalingTypesFollowFormulas) {
  LlamaConfig c;
  c.head_dim = 8;
  c.rope_theta = 10000.0;
  c.max_position_embeddings = 16;
  auto base = rope_inv_freq(c, 16);  // 1 / theta^(2i/d)
  EXPECT_NEAR(base[1].item<float>(), 1.0 / std::pow(10000.0, 2.0 / 8.0), 1e-7);
  c.rope_scaling.type = RopeType::kLinear;
  c.rope_scaling.factor = 4.0;
  EXPECT_TRUE(torch::allclose(rope_inv_freq(c, 16), base / 4.0));
  c.rope_scaling.type = RopeType::kDynamic;
  EXPECT_TRUE(torch::allclose(rope_inv_freq(c, 16), base));  // within max_position_embeddings: unchanged
  // seq 32: base' = theta * (4 * 32 / 16 - 3)^(8 / 6)
  const double theta2 = 10000.0 * std::pow(4.0 * 32 / 16 - 3.0, 8.0 / 6.0);
  EXPECT_NEAR(rope_inv_freq(c, 32)[1].item<float>(), 1.0 / std::pow(theta2, 2.0 / 8.0), 1e-6);
}

TEST(LlamaModel, ProjectionsAreSwappable) {
  auto m = load(asset("tiny_tied"));
  auto& attn = *m->layer(0).self_attn;
  auto old = attn.projection("q_proj");
  auto fresh = std::make_shared<DenseLinear>(old->in_features(), old->out_features(), false, torch::TensorOptions());
  attn.set_projection("q_proj", fresh);
  EXPECT_EQ(attn.projection("q_proj").get(), fresh.get());
  EXPECT_EQ(m->named_parameters().find("model.layers.0.self_attn.q_proj.weight")->data_ptr(), fresh->weight.data_ptr());
  EXPECT_THROW(m->layer(0).mlp->set_projection("q_proj", fresh), Error);
}

TEST(LlamaModel, ShardedBf16CopyLoadsCloseToFp32) {
  torch::NoGradGuard no_grad;
  const auto src = asset("tiny_untied");
  TempDir dir;
  fs::copy_file(src / "config.json", dir / "config.json");
  auto file = io::SafetensorsFile::open((src / "model.safetensors").string());
  std::vector<io::TensorSource> sources;
  for (const auto& info : file->tensors()) {
    auto t = torch::from_blob(const_cast<uint8_t*>(file->data(info)), info.shape).to(torch::kBFloat16).contiguous();
    sources.push_back({info.name, io::DType::kBF16, info.shape, [t](uint8_t* dst) {
                         std::memcpy(dst, t.data_ptr(), t.numel() * 2);
                       }});
  }
  const auto written = io::write_sharded(dir.path().string(), sources, 20000);
  ASSERT_GT(written.size(), 2u);
  ASSERT_TRUE(fs::exists(dir / "model.safetensors.index.json"));
  auto g = read_json(src / "golden.json");
  auto ids = ids_tensor(json_ids(g.at("input_ids")));
  auto fp32 = load(dir.path())->forward(ids)[0];                     // bf16 weights upcast: (T, V)
  auto bf16 = load(dir.path(), torch::kBFloat16)->forward(ids)[0];  // bf16 compute: (T, V)
  auto expected = golden_logits(g);
  const float scale = expected.abs().max().item<float>();
  EXPECT_LT((fp32 - expected).abs().max().item<float>(), 0.05f * scale);
  EXPECT_LT((bf16.to(torch::kFloat32) - expected).abs().max().item<float>(), 0.1f * scale);
  EXPECT_EQ(bf16.scalar_type(), torch::kBFloat16);
}

TEST(WeightLoader, ReportsEveryMismatchAtOnce) {
  const auto src = asset("tiny_tied");
  auto file = io::SafetensorsFile::open((src / "model.safetensors").string());
  TempDir dir;
  fs::copy_file(src / "config.json", dir / "config.json");
  std::vector<io::TensorSource> sources;
  for (const auto& info : file->tensors()) {
    if (info.name == "model.norm.weight" || info.name == "model.layers.1.mlp.up_proj.weight") continue;  // missing
    auto shape = info.shape;
    if (info.name == "model.layers.0.self_attn.k_proj.weight") shape = {shape[1], shape[0]};  // mis-shaped
    sources.push_back(io::tensor_from_bytes(info.name, info.dtype, shape, file->data(info)));
  }
  float extra = 1.0f;
  sources.push_back(io::tensor_from_bytes("model.layers.0.self_attn.rotary_emb.inv_freq", io::DType::kF32, {1}, &extra));
  sources.push_back(io::tensor_from_bytes("model.layers.9.mlp.gate_proj.weight", io::DType::kF32, {1}, &extra));
  io::write_safetensors((dir / "model.safetensors").string(), sources);
  LlamaForCausalLM m(load_llama_config(dir.path().string()), torch::TensorOptions());
  try {
    load_weights(*m, dir.path().string());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("2 missing"), std::string::npos) << what;
    EXPECT_NE(what.find("model.norm.weight"), std::string::npos) << what;
    EXPECT_NE(what.find("model.layers.1.mlp.up_proj.weight"), std::string::npos) << what;
    EXPECT_NE(what.find("1 unexpected"), std::string::npos) << what;
    EXPECT_NE(what.find("model.layers.9.mlp.gate_proj.weight"), std::string::npos) << what;
    EXPECT_NE(what.find("model.layers.0.self_attn.k_proj.weight [32, 16] vs [16, 32]"), std::string::npos) << what;
    EXPECT_EQ(what.find("inv_freq"), std::string::npos) << what;
    EXPECT_NE(what.find("wrong base model?"), std::string::npos) << what;
  }
}

TEST(WeightLoader, FolderWithoutSafetensors) {
  TempDir dir;
  testing::write_file(dir / "pytorch_model.bin", "x");
  LlamaForCausalLM m(load_llama_config(asset("tiny_tied").string()), torch::TensorOptions());
  try {
    load_weights(*m, dir.path().string());
    FAIL() << "expected an error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("pytorch_model.bin"), std::string::npos) << e.what();
  }
}

TEST(Sampler, SeededSamplingIsRepeatableAndFiltersApply) {
  auto logits = torch::tensor({0.0f, 5.0f, 4.9f, -3.0f, 1.0f});
  SamplingOptions o;
  o.temperature = 1.0;
  o.top_k = 2;
  o.seed = 7;
  Sampler a(o), b(o);
  for (int i = 0; i < 20; ++i) {
    const auto x = a.next(logits, {});
    EXPECT_EQ(x, b.next(logits, {}));
    EXPECT_TRUE(x == 1 || x == 2);
  }
  o.top_k = 0;
  o.top_p = 0.3;  // only the likeliest token's mass is needed
  Sampler c(o);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(c.next(logits, {}), 1);
  SamplingOptions penalised;
  penalised.repetition_penalty = 2.0;  // 5.0 -> 2.5, below 4.9
  EXPECT_EQ(Sampler(penalised).next(logits, {1}), 2);
}

// One-line mode (inference: one output line per prompt) writes newlines and CRs as escapes, also
// when they arrive inside a chunk with a multi-byte character.
TEST(TextStream, OneLineModeEscapesNewlines) {
  std::ostringstream out;
  TextStream s(out, true);
  s.push("a\nb\xC3");
  s.push("\xA9\r\n");
  s.finish();
  EXPECT_EQ(out.str(), "a\\nb\xC3\xA9\\r\\n");
  std::ostringstream plain;
  TextStream p(plain);
  p.push("a\nb");
  p.finish();
  EXPECT_EQ(plain.str(), "a\nb");
}

TEST(TextStream, HoldsIncompleteUtf8) {
  std::ostringstream out;
  TextStream s(out);
  s.push("a\xC3");
  EXPECT_EQ(out.str(), "a");
  s.push("\xA9\xE2\x82");
  EXPECT_EQ(out.str(), "a\xC3\xA9");
  s.push("\xAC!");
  EXPECT_EQ(out.str(), "a\xC3\xA9\xE2\x82\xAC!");
  s.push("\xFF\xF0\x9F");  // an invalid byte is written as U+FFFD at once; the cut-off emoji waits
  EXPECT_EQ(out.str(), "a\xC3\xA9\xE2\x82\xAC!\xEF\xBF\xBD");
  s.finish();  // never completed: one U+FFFD
  EXPECT_EQ(out.str(), "a\xC3\xA9\xE2\x82\xAC!\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Stories260K, GreedyContinuationAndLogits) {
  AXOLOTL_REQUIRE_SHARED();
  torch::NoGradGuard no_grad;
  const auto folder = testing::shared_dir() / "models" / "stories260K";
  auto m = load(folder);
  auto tok = data::Tokenizer::load(folder.string());
  auto ids32 = tok->encode("Once upon a time");
  std::vector<int64_t> prompt(ids32.begin(), ids32.end());
  auto g = read_json(asset("stories260K_golden.json"));
  EXPECT_EQ(prompt, json_ids(g.at("input_ids")));
  auto logits = m->forward(ids_tensor(prompt))[0];  // (T, V)
  EXPECT_LT((logits - golden_logits(g)).abs().max().item<float>(), 1e-4);
  const auto tokens = greedy(*m, prompt, 30, true);
  EXPECT_EQ(tokens, json_ids(g.at("greedy")));
  std::string text;
  for (auto t : tokens) text += tok->token_text(static_cast<int32_t>(t));
  EXPECT_EQ(text.rfind(", there was a little girl named Lily. She loved to play outside in the park.", 0), 0u) << text;
}

}  // namespace
}  // namespace axolotl::model
