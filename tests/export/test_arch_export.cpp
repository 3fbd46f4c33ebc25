// The GGUF rows of every exported family (llama, qwen2, qwen3, gemma2, gemma3, phi3) against
// tests/assets/export/arch_golden.json, which tests/reference/gguf_arch_reference.py derives from
// convert_hf_to_gguf.py's rules: arch keys (names, value types, values), tensor names, shapes, types
// and transformed values (llama Q/K permutation, Gemma norms + 1, Phi-3 fused tensors kept). Also the
// BPE pre-tokenizer chosen by llama.cpp's chkhsh, the per-family LoRA names and the Modelfiles.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "axolotl/export/bpe_pre.h"
#include "axolotl/export/gguf_reader.h"
#include "axolotl/export/lora_export.h"
#include "axolotl/export/model_export.h"
#include "axolotl/export/modelfile.h"
#include "axolotl/export/tokenizer_metadata.h"
#include "axolotl/util/error.h"
#include "export_fixtures.h"
#include "test_support.h"

namespace axolotl::gguf {
namespace {
namespace fs = std::filesystem;

const nlohmann::json& golden() {
  static const nlohmann::json g = [] {
    std::ifstream in(testing::source_dir() / "tests/assets/export/arch_golden.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return nlohmann::json::parse(ss.str());
  }();
  return g;
}

testing::TinyLlamaSpec spec_of(const std::string& family) {
  const auto& s = golden().at(family).at("spec");
  testing::TinyLlamaSpec spec;
  spec.family = s.value("family", family);  // "gemma3_mm" is a gemma3 in a multimodal folder
  spec.multimodal = s.value("multimodal", "");
  spec.hidden = s.at("hidden");
  spec.intermediate = s.at("intermediate");
  spec.layers = s.at("layers");
  spec.heads = s.at("heads");
  spec.kv_heads = s.at("kv_heads");
  spec.vocab = s.at("vocab");
  spec.tied = s.at("tied");
  spec.head_dim = s.at("head_dim");
  if (s.contains("rope_scaling")) spec.rope_scaling = s.at("rope_scaling").dump();
  return spec;
}

fs::path write_family(const fs::path& dir, const std::string& family) {
  const auto model = dir / family;
  testing::write_tiny_llama(model, spec_of(family));
  for (const char* f : {"tokenizer.json", "tokenizer_config.json"}) {
    fs::copy_file(testing::source_dir() / "tests/assets/export/bpe" / f, model / f);
  }
  return model;
}

void check_family(const std::string& family, const std::string& outtype) {
  SCOPED_TRACE(family + " " + outtype);
  testing::TempDir dir;
  ModelExportJob job;
  job.model_dir = write_family(dir.path(), family).string();
  job.output = (dir / "out.gguf").string();
  job.file_type = outtype == "f32" ? FileType::kAllF32 : FileType::kMostlyF16;
  job.tokenizer_pre = "llama-bpe";  // the test vocabulary's chkhsh is not in llama.cpp's table
  job.threads = 1;
  export_model(job);
  const auto file = GgufFile::open(job.output);
  const auto& want = golden().at(family).at(outtype);

  // Metadata: exactly the golden's keys besides general.{type,name,quantization_version} and tokenizer.*.
  std::map<std::string, const Value*> have;
  for (const auto& [k, v] : file->metadata()) {
    if (k == "general.type" || k == "general.name" || k == "general.quantization_version") continue;
    if (k.rfind("tokenizer.", 0) == 0) continue;
    have[k] = &v;
  }
  EXPECT_EQ(file->metadata()[0].first, "general.architecture");
  std::set<std::string> want_keys;
  for (const auto& m : want.at("metadata")) {
    const std::string key = m.at("key");
    want_keys.insert(key);
    auto it = have.find(key);
    ASSERT_NE(it, have.end()) << "missing " << key;
    const Value& v = *it->second;
    const std::string type = m.at("type");
    if (type == "u32") {
      EXPECT_EQ(v.type, ValueType::kUint32) << key;
      EXPECT_EQ(v.as_int(), m.at("value").get<int64_t>()) << key;
    } else if (type == "f32") {
      EXPECT_EQ(v.type, ValueType::kFloat32) << key;
      EXPECT_EQ(static_cast<float>(v.as_float()), m.at("value").get<float>()) << key;
    } else {
      EXPECT_EQ(v.as_string(), m.at("value").get<std::string>()) << key;
    }
  }
  for (const auto& [k, v] : have) EXPECT_TRUE(want_keys.count(k)) << "unexpected key " << k;

  // Tensors: the same set of names, each with the golden's ne, type and values.
  const auto& want_tensors = want.at("tensors");
  ASSERT_EQ(file->tensors().size(), want_tensors.size());
  for (const auto& t : want_tensors) {
    const std::string name = t.at("name");
    const auto* info = file->tensor(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->ne, t.at("ne").get<std::vector<int64_t>>()) << name;
    EXPECT_EQ(static_cast<int>(info->type), t.at("type").get<int>()) << name;
    if (!t.contains("row0")) continue;  // f16: the fixture's values overflow half precision
    const auto data = file->dequantize(*info);
    const int64_t cols = info->ne[0];
    const int64_t rows = static_cast<int64_t>(data.size()) / cols;
    const auto row0 = t.at("row0").get<std::vector<float>>();
    for (size_t i = 0; i < row0.size() && static_cast<int64_t>(i) < cols; ++i) EXPECT_EQ(data[i], row0[i]) << name;
    const auto col0 = t.at("col0").get<std::vector<float>>();
    for (size_t r = 0; r < col0.size() && static_cast<int64_t>(r) < rows; ++r) {
      EXPECT_EQ(data[r * static_cast<size_t>(cols)], col0[r]) << name << " row " << r;
    }
  }
}

TEST(ArchExport, EveryFamilyMatchesTheConverterGolden) {
  for (const auto& [family, entry] : golden().items()) {
    for (const char* outtype : {"f32", "f16"}) check_family(family, outtype);
  }
}

TEST(ArchExport, GemmaNormsAndTiedOutput) {
  // gemma2's converter drops an existing lm_head (llama.cpp ties output to token_embd); gemma3 (tied) has none.
  for (const char* family : {"gemma2", "gemma3"}) {
    testing::TempDir dir;
    ModelExportJob job;
    job.model_dir = write_family(dir.path(), family).string();
    job.output = (dir / "out.gguf").string();
    job.file_type = FileType::kMostlyQ8_0;
    job.tokenizer_pre = "llama-bpe";
    export_model(job);
    const auto f = GgufFile::open(job.output);
    EXPECT_EQ(f->tensor("output.weight"), nullptr) << family;
    EXPECT_NE(f->tensor("blk.1.post_ffw_norm.weight"), nullptr) << family;
    EXPECT_EQ(f->tensor("blk.1.post_ffw_norm.weight")->type, GgmlType::kF32) << family;
  }
}

// Gemma3Model.modify_tensors removes token_embd's OOV rows: tokenizer.json's vocab + added_tokens count
// (15 + 2 for the fixtures' tokenizer), the config's vocab_size with a tokenizer.model; other archs keep them.
TEST(ArchExport, Gemma3TokenEmbdKeepsTheTokenizersRows) {
  testing::TempDir dir;
  EXPECT_EQ(converter_vocab_rows((testing::source_dir() / "tests/assets/export/bpe").string(), 20), 17);
  testing::write_file(dir / "spm" / "tokenizer.model", "");
  EXPECT_EQ(converter_vocab_rows((dir / "spm").string(), 20), 20);
  EXPECT_THROW(converter_vocab_rows((dir / "none").string(), 20), IoError);
  for (const char* family : {"gemma3", "qwen3"}) {
    ModelExportJob job;
    job.model_dir = write_family(dir.path(), family).string();
    job.output = (dir / (std::string(family) + ".gguf")).string();
    job.file_type = FileType::kMostlyQ8_0;
    job.tokenizer_pre = "llama-bpe";
    export_model(job);
    const auto f = GgufFile::open(job.output);
    const auto* embd = f->tensor("token_embd.weight");
    ASSERT_NE(embd, nullptr) << family;
    EXPECT_EQ(embd->ne, (std::vector<int64_t>{64, std::string(family) == "gemma3" ? 17 : 20})) << family;
  }
}

// A multimodal Gemma-3 folder (either spelling) exports as its text model: the same tensor table as the
// causal Gemma-3 with the same head, no vision-tower or projector tensor (llama.cpp's mmproj file is not
// written), the gemma3 arch.
TEST(ArchExport, MultimodalGemma3ExportsItsTextModel) {
  auto table = [](const std::string& path) {
    std::map<std::string, std::pair<std::vector<int64_t>, int>> out;
    const auto f = GgufFile::open(path);
    for (const auto& t : f->tensors()) out[t.name] = {t.ne, static_cast<int>(t.type)};
    EXPECT_EQ(f->metadata()[0].second.as_string(), "gemma3") << path;
    return out;
  };
  testing::TempDir dir;
  auto export_of = [&](const std::string& key, testing::TinyLlamaSpec spec) {
    const auto model = dir / key;
    testing::write_tiny_llama(model, spec);
    for (const char* f : {"tokenizer.json", "tokenizer_config.json"}) {
      fs::copy_file(testing::source_dir() / "tests/assets/export/bpe" / f, model / f);
    }
    ModelExportJob job;
    job.model_dir = model.string();
    job.output = (dir / (key + ".gguf")).string();
    job.file_type = FileType::kMostlyQ8_0;
    job.tokenizer_pre = "llama-bpe";
    export_model(job);
    return table(job.output);
  };
  for (bool tied : {true, false}) {
    testing::TinyLlamaSpec causal = spec_of("gemma3");
    causal.tied = tied;
    const auto want = export_of(tied ? "causal_tied" : "causal", causal);
    EXPECT_EQ(want.count("output.weight"), tied ? 0u : 1u);
    for (const char* layout : {"current", "legacy"}) {
      testing::TinyLlamaSpec mm = causal;
      mm.multimodal = layout;
      const auto have = export_of(std::string(layout) + (tied ? "_tied" : ""), mm);
      EXPECT_EQ(have, want) << layout << (tied ? " tied" : "");
    }
  }
}

TEST(ArchExport, Phi3QuantizationCountsFusedQkv) {
  testing::TempDir dir;
  ModelExportJob job;
  job.model_dir = write_family(dir.path(), "phi3").string();
  job.output = (dir / "out.gguf").string();
  job.file_type = FileType::kMostlyQ8_0;
  job.tokenizer_pre = "llama-bpe";
  export_model(job);
  const auto f = GgufFile::open(job.output);
  const auto* qkv = f->tensor("blk.0.attn_qkv.weight");
  ASSERT_NE(qkv, nullptr);
  EXPECT_EQ(qkv->type, GgmlType::kQ8_0);
  EXPECT_EQ(qkv->ne, (std::vector<int64_t>{64, 128}));  // (4 + 2*2) heads * 16
  EXPECT_EQ(f->tensor("blk.0.ffn_up.weight")->ne, (std::vector<int64_t>{64, 192}));  // gate rows, then up rows
  EXPECT_EQ(f->tensor("blk.0.ffn_gate.weight"), nullptr);
}

// llama-quantize (llama-quant.cpp) gives a fused attn_qkv Q5_K under Q4_K_M, and counts it as an attn_v
// for use_more_bits; a row that is not 256-aligned falls back to Q5_1 (tensor_type_fallback).
TEST(ArchExport, Phi3Q4KMPicksQ5KForFusedQkv) {
  QuantPlan plan;
  plan.file_type = FileType::kMostlyQ4_K_M;
  plan.n_attention_wv = 32;
  std::string note;
  EXPECT_EQ(choose_type("blk.3.attn_qkv.weight", {3072, 9216}, plan, &note), GgmlType::kQ5_K);
  EXPECT_TRUE(note.empty());
  EXPECT_EQ(choose_type("blk.3.attn_qkv.weight", {64, 128}, plan, &note), GgmlType::kQ5_1);
  EXPECT_NE(note.find("Q5_K -> Q5_1"), std::string::npos) << note;

  testing::TempDir dir;
  ModelExportJob job;
  job.model_dir = write_family(dir.path(), "phi3").string();
  job.output = (dir / "out.gguf").string();
  job.file_type = FileType::kMostlyQ4_K_M;
  job.tokenizer_pre = "llama-bpe";
  const auto r = export_model(job);
  EXPECT_EQ(r.types.at("Q5_1"), 2);  // both layers' attn_qkv (64 columns)
  const auto f = GgufFile::open(job.output);
  ASSERT_EQ(f->tensor("blk.1.attn_qkv.weight")->type, GgmlType::kQ5_1);  // blocks: Quantize.BlocksEqualNumpyReference
}

// Phi3MiniModel.generate_extra_tensors: LongRoPE factors as F32 tensors, attn_factor from the context ratio.
TEST(ArchExport, Phi3LongRopeFactors) {
  testing::TempDir dir;
  const auto model = write_family(dir.path(), "phi3");
  auto cfg = nlohmann::json::parse(testing::read_file(model / "config.json"));
  std::vector<double> lf, sf;
  for (int i = 0; i < 8; ++i) {  // rotary dims 16 -> 8 factors each
    lf.push_back(1.0 + i);
    sf.push_back(1.0 + 0.5 * i);
  }
  cfg["original_max_position_embeddings"] = 64;
  cfg["rope_scaling"] = {{"type", "longrope"}, {"long_factor", lf}, {"short_factor", sf}};
  testing::write_file(model / "config.json", cfg.dump(2));
  ModelExportJob job;
  job.model_dir = model.string();
  job.output = (dir / "out.gguf").string();
  job.file_type = FileType::kAllF32;
  job.tokenizer_pre = "llama-bpe";
  export_model(job);
  const auto f = GgufFile::open(job.output);
  EXPECT_EQ(f->at("phi3.rope.scaling.original_context_length").as_int(), 64);
  EXPECT_FLOAT_EQ(static_cast<float>(f->at("phi3.rope.scaling.attn_factor").as_float()),
                  static_cast<float>(std::sqrt(1 + std::log(256.0 / 64.0) / std::log(64.0))));
  const auto* lt = f->tensor("rope_factors_long.weight");
  const auto* st = f->tensor("rope_factors_short.weight");
  ASSERT_TRUE(lt && st);
  EXPECT_EQ(lt->ne, (std::vector<int64_t>{8}));
  EXPECT_EQ(f->dequantize(*lt)[7], 8.f);
  EXPECT_EQ(f->dequantize(*st)[2], 2.f);
}

// llama.cpp (llama-vocab.cpp) gives a model whose general.name contains "phi3"/"phi-3" Phi-3's token
// attributes, looking up </s>, <unk>, <s> and <|endoftext|> with unordered_map::at: a vocabulary without
// one (a Phi-3 on the Llama-2 vocabulary) failed to load with "_Map_base::at". The name is then left out.
TEST(ArchExport, Phi3NameLeftOutWhenLlamaCppWouldRefuseTheVocabulary) {
  testing::TempDir dir;
  ModelExportJob job;
  job.model_dir = write_family(dir.path(), "phi3").string();  // a folder named phi3, the BPE test vocabulary
  job.output = (dir / "out.gguf").string();
  job.file_type = FileType::kAllF32;
  job.tokenizer_pre = "llama-bpe";
  job.threads = 1;
  export_model(job);
  EXPECT_EQ(GgufFile::open(job.output)->find("general.name"), nullptr);
  job.name = "My-Phi-3-Mini-ft";
  export_model(job);
  EXPECT_EQ(GgufFile::open(job.output)->find("general.name"), nullptr);
  job.name = "tiny-ft";
  export_model(job);
  EXPECT_EQ(GgufFile::open(job.output)->at("general.name").as_string(), "tiny-ft");

  TokenizerMetadata t;
  t.tokens = {"<unk>", "<s>", "</s>", "a"};
  EXPECT_EQ(tokens_missing_for_name("PHI3-tiny", t), std::vector<std::string>{"<|endoftext|>"});
  EXPECT_TRUE(tokens_missing_for_name("phi-2", t).empty());
  t.tokens.push_back("<|endoftext|>");  // Phi-3's own vocabulary has all four
  EXPECT_TRUE(tokens_missing_for_name("Phi-3-mini-4k-instruct", t).empty());
}

// Sentencepiece vocabularies: Gemma writes add_space_prefix false; Phi-3 also takes tokenizer.json's
// added_tokens (CONTROL when special, score -1000), as Phi3MiniModel.set_vocab does; fillers score -10000.
TEST(ArchExport, SentencepieceFamilyOptions) {
  AXOLOTL_REQUIRE_SHARED();
  testing::TempDir dir;
  fs::copy_file(testing::shared_dir() / "models/stories260K/tokenizer.model", dir / "tokenizer.model");
  testing::write_file(dir / "tokenizer.json",
                      R"({"added_tokens": [{"id": 5, "content": "<|end|>", "special": true},
                                           {"id": 6, "content": "<|note|>", "special": false}]})");
  TokenizerOptions o;
  o.added_from_tokenizer_json = true;
  const auto phi = read_tokenizer_metadata(dir.path().string(), dir.path().string(), 516, o);
  EXPECT_EQ(phi.model, "llama");
  ASSERT_EQ(phi.tokens.size(), 516u);  // config vocab_size: [PAD{i}] fillers as the converter initialises them
  EXPECT_EQ(phi.tokens[514], "[PAD514]");
  EXPECT_EQ(phi.scores[514], -10000.f);
  EXPECT_EQ(phi.types[514], 5);
  EXPECT_EQ(phi.tokens[5], "<|end|>");
  EXPECT_EQ(phi.types[5], 3);
  EXPECT_EQ(phi.types[6], 4);
  EXPECT_EQ(phi.scores[5], -1000.f);
  EXPECT_EQ(phi.add_space_prefix, -1);
  TokenizerOptions g;
  g.no_space_prefix = true;
  const auto gemma = read_tokenizer_metadata(dir.path().string(), dir.path().string(), 512, g);
  EXPECT_NE(gemma.tokens[5], "<|end|>");
  EXPECT_EQ(gemma.add_space_prefix, 0);
  GgufWriter w((dir / "t.gguf").string());
  write_tokenizer_metadata(gemma, w);
  w.write();
  EXPECT_EQ(GgufFile::open((dir / "t.gguf").string())->at("tokenizer.ggml.add_space_prefix").as_int(), 0);
}

TEST(ArchExport, LoraForFusedAndUnpermutedArchs) {
  for (const char* family : {"phi3", "qwen2", "gemma2"}) {
    SCOPED_TRACE(family);
    testing::TempDir dir;
    const auto model = write_family(dir.path(), family);
    testing::write_tiny_adapter(dir / "adapter", spec_of(family), 4, 8.0);
    LoraExportJob job;
    job.adapter_dir = (dir / "adapter").string();
    job.config_dir = model.string();
    job.output = (dir / "lora.gguf").string();
    job.file_type = FileType::kAllF32;
    export_lora(job);
    const auto f = GgufFile::open(job.output);
    EXPECT_EQ(f->at("general.architecture").as_string(), family);
    const std::string first = std::string(family) == "phi3" ? "blk.0.attn_qkv.weight" : "blk.0.attn_q.weight";
    const auto* b = f->tensor(first + ".lora_b");
    ASSERT_NE(b, nullptr);
    const auto data = f->dequantize(*b);
    // No Q/K permutation outside llama: GGUF row 1 of B is HF row 1.
    EXPECT_EQ(data[1 * 4 + 2], 2000.f + 1 * 100 + 2);
  }
}

TEST(BpePre, UnknownHashIsRefusedUnlessNamed) {
  testing::TempDir dir;
  const auto model = write_family(dir.path(), "qwen2");
  try {
    read_tokenizer_metadata(model.string(), model.string(), 20);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("chkhsh " + bpe_pre_hash(model.string())), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--tokenizer-pre"), std::string::npos);
  }
  TokenizerOptions o;
  o.pre_override = "qwen2";
  EXPECT_EQ(read_tokenizer_metadata(model.string(), model.string(), 20, o).pre, "qwen2");
  o.pre_override = "no-such-pre";
  EXPECT_THROW(read_tokenizer_metadata(model.string(), model.string(), 20, o), UsageError);
}

// A sentencepiece-style tokenizer.json (Gemma-3's, Metaspace + byte fallback) is no GGUF "gpt2" vocabulary.
TEST(BpePre, SentencepieceStyleTokenizerJsonIsRefused) {
  testing::TempDir dir;
  testing::write_file(dir / "tokenizer.json",
                      R"({"model": {"type": "BPE", "vocab": {"a": 0, "\u2581a": 1}, "merges": [], "byte_fallback": true},
                          "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581"},
                          "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}]}})");
  TokenizerOptions o;
  o.pre_override = "llama-bpe";
  try {
    read_tokenizer_metadata(dir.path().string(), dir.path().string(), 2, o);
    FAIL() << "expected an error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("not a byte-level BPE"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tokenizer.model"), std::string::npos) << e.what();
  }
}

// gguf-py SpecialVocab skips special ids outside the vocabulary (Phi-3's config pad_token_id 32000 with a
// smaller tokenizer); llama.cpp would otherwise refuse the id.
TEST(BpePre, SpecialIdsOutsideTheVocabularyAreDropped) {
  testing::TempDir dir;
  const auto model = write_family(dir.path(), "phi3");
  auto cfg = nlohmann::json::parse(testing::read_file(model / "config.json"));
  cfg["pad_token_id"] = 32000;
  testing::write_file(model / "config.json", cfg.dump(2));
  TokenizerOptions o;
  o.pre_override = "llama-bpe";
  const auto t = read_tokenizer_metadata(model.string(), model.string(), 20, o);
  EXPECT_EQ(t.pad, -1);
  EXPECT_EQ(t.bos, 16);
}

TEST(BpePre, CheckTextAndTable) {
  EXPECT_EQ(bpe_check_text().size(), 431u);  // UTF-8 bytes of convert_hf_to_gguf.py's chktxt (350 code points)
  EXPECT_EQ(bpe_pre_for_hash("0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5"), "llama-bpe");
  EXPECT_EQ(bpe_pre_for_hash("b6dc8df998e1cfbdc4eac8243701a65afe638679230920b50d6f17d81c098166"), "olmo");  // later wins
  EXPECT_EQ(bpe_pre_for_hash("00"), "");
  EXPECT_TRUE(is_known_bpe_pre("default"));
  EXPECT_FALSE(is_known_bpe_pre("llama"));
}

// The real tokenizers: llama.cpp's own hashes are the independent goldens (a hash over ~300 token ids
// only matches when every id is right). ../shared's llama3 copy has a ByteLevel post-processor, so it
// adds no <|begin_of_text|>: the Llama-3 ids without BOS are llama.cpp's "smaug-bpe" entry
// (Smaug-Llama-3 ships that tokenizer); with BOS they would be "llama-bpe".
TEST(BpePre, RealTokenizersHashAsInLlamaCpp) {
  AXOLOTL_REQUIRE_SHARED();
  const auto tok = testing::shared_dir() / "tokenizers";
  EXPECT_EQ(bpe_pre_for_hash(bpe_pre_hash((tok / "llama3").string())), "smaug-bpe");
  EXPECT_EQ(bpe_pre_for_hash(bpe_pre_hash((tok / "qwen3").string())), "qwen2");
}

TEST(Modelfile, FamilyTemplatesAndStops) {
  ModelfileInput in;
  in.gguf_file = "m.gguf";
  in.chat_template = "{{ '<|user|>\\n' + m['content'] + '<|end|>\\n' }}";
  in.stop_tokens = {"<|endoftext|>"};
  EXPECT_EQ(template_family(in), "phi3");
  auto text = modelfile_text(in);
  EXPECT_NE(text.find("<|{{ .Role }}|>\n{{ .Content }}<|end|>\n"), std::string::npos);
  for (const char* s : {"<|endoftext|>", "<|end|>", "<|user|>", "<|assistant|>"}) {
    EXPECT_NE(text.find("PARAMETER stop \"" + std::string(s) + "\"\n"), std::string::npos) << s;
  }
  in.chat_template = "<start_of_turn>user";
  in.stop_tokens = {"<eos>", "<end_of_turn>"};
  text = modelfile_text(in);
  EXPECT_NE(text.find("{{ if and $first $sys }}{{ $sys }}\n\n{{ end }}"), std::string::npos);  // system joins turn 1
  EXPECT_EQ(text.find("PARAMETER stop \"<end_of_turn>\""), text.rfind("PARAMETER stop \"<end_of_turn>\""));
  in.chat_template = "<|im_start|>";
  in.stop_tokens = {"<|im_end|>"};
  text = modelfile_text(in);
  EXPECT_NE(text.find("PARAMETER stop \"<|im_start|>\"\n"), std::string::npos);
  // Ollama passes a system message as .System and in .Messages too: printed once, from .System.
  EXPECT_NE(text.find("{{- range .Messages }}{{- if ne .Role \"system\" }}<|im_start|>"), std::string::npos);
  in.chat_template = "[INST]";
  text = modelfile_text(in);  // the system message is .Messages[0]: the first user turn, not index 0, opens with it
  EXPECT_NE(text.find("[INST] {{ if and $first $.System }}"), std::string::npos);
  EXPECT_EQ(text.find("eq $i 0"), std::string::npos);
  in.chat_template = "<|start_header_id|>";
  text = modelfile_text(in);
  EXPECT_NE(text.find("{{- range .Messages }}{{- if ne .Role \"system\" }}<|start_header_id|>"), std::string::npos);
}

}  // namespace
}  // namespace axolotl::gguf
