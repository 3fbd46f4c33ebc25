// export_model / export_lora on tiny torch-free fixtures: metadata keys, HF->GGUF names and shapes,
// the llama Q/K permutation, tensor types per --quant (llama-quantize's choices and fallbacks), the
// tokenizer.json BPE metadata, and the GGUF LoRA adapter's names, shapes, alpha and permuted B.
#include <gtest/gtest.h>

#include <filesystem>

#include "axolotl/export/gguf_reader.h"
#include "axolotl/export/lora_export.h"
#include "axolotl/export/model_export.h"
#include "axolotl/export/modelfile.h"
#include "axolotl/export/tensor_names.h"
#include "export_fixtures.h"
#include "test_support.h"

namespace axolotl::gguf {
namespace {
namespace fs = std::filesystem;
using testing::fixture_index;
using testing::fixture_value;

struct Exported {
  testing::TempDir dir;
  testing::TinyLlamaSpec spec;
  ExportResult result;
  std::unique_ptr<GgufFile> file;
};

std::unique_ptr<Exported> export_bpe_model(FileType ft, bool tied = false) {
  auto e = std::make_unique<Exported>();
  e->spec.tied = tied;
  const auto model = e->dir / "model";
  testing::write_tiny_llama(model, e->spec);
  for (const char* f : {"tokenizer.json", "tokenizer_config.json"}) {
    fs::copy_file(testing::source_dir() / "tests/assets/export/bpe" / f, model / f);
  }
  ModelExportJob job;
  job.model_dir = model.string();
  job.output = (e->dir / "out.gguf").string();
  job.file_type = ft;
  job.threads = 2;
  job.tokenizer_pre = "llama-bpe";  // the test vocabulary's chkhsh is not in llama.cpp's table
  e->result = export_model(job);
  e->file = GgufFile::open(job.output);
  return e;
}

TEST(ModelExport, LlamaMetadataAndBpeTokenizer) {
  auto e = export_bpe_model(FileType::kAllF32);
  const auto& f = *e->file;
  EXPECT_EQ(f.metadata()[0].first, "general.architecture");
  EXPECT_EQ(f.at("general.architecture").as_string(), "llama");
  EXPECT_EQ(f.at("general.type").as_string(), "model");
  EXPECT_EQ(f.at("llama.block_count").as_int(), 2);
  EXPECT_EQ(f.at("llama.embedding_length").as_int(), 64);
  EXPECT_EQ(f.at("llama.feed_forward_length").as_int(), 96);
  EXPECT_EQ(f.at("llama.attention.head_count").as_int(), 4);
  EXPECT_EQ(f.at("llama.attention.head_count_kv").as_int(), 2);
  EXPECT_EQ(f.at("llama.rope.dimension_count").as_int(), 16);
  EXPECT_EQ(f.at("llama.context_length").type, ValueType::kUint32);
  EXPECT_EQ(f.at("llama.attention.layer_norm_rms_epsilon").type, ValueType::kFloat32);
  EXPECT_FLOAT_EQ(static_cast<float>(f.at("llama.attention.layer_norm_rms_epsilon").as_float()), 1e-5f);
  EXPECT_EQ(f.find("llama.attention.key_length"), nullptr);  // config.json has no head_dim
  EXPECT_EQ(f.at("general.file_type").as_int(), 0);
  EXPECT_EQ(f.metadata().back().first, "general.quantization_version");

  EXPECT_EQ(f.at("tokenizer.ggml.model").as_string(), "gpt2");
  EXPECT_EQ(f.at("tokenizer.ggml.pre").as_string(), "llama-bpe");
  const auto& tokens = f.at("tokenizer.ggml.tokens").strings;
  ASSERT_EQ(tokens.size(), 20u);  // padded to config vocab_size
  EXPECT_EQ(tokens[4], "\xc4\xa0");
  EXPECT_EQ(tokens[15], "[PAD15]");
  EXPECT_EQ(tokens[16], "<|begin_of_text|>");
  EXPECT_EQ(tokens[19], "[PAD19]");
  const auto& types = f.at("tokenizer.ggml.token_type").ints;
  EXPECT_EQ(types[0], 1);
  EXPECT_EQ(types[15], 5);
  EXPECT_EQ(types[16], 3);
  EXPECT_EQ(types[17], 3);
  EXPECT_EQ(f.find("tokenizer.ggml.scores"), nullptr);
  const auto& merges = f.at("tokenizer.ggml.merges").strings;
  ASSERT_EQ(merges.size(), 6u);
  EXPECT_EQ(merges[0], "h e");
  EXPECT_EQ(merges[4], "\xc4\xa0 w");
  EXPECT_EQ(f.at("tokenizer.ggml.bos_token_id").as_int(), 16);
  EXPECT_EQ(f.at("tokenizer.ggml.eos_token_id").as_int(), 17);
  EXPECT_EQ(f.at("tokenizer.ggml.bos_token_id").type, ValueType::kUint32);
  EXPECT_TRUE(f.at("tokenizer.ggml.add_bos_token").as_int());
  EXPECT_EQ(f.find("tokenizer.ggml.add_eos_token"), nullptr);
  EXPECT_NE(f.at("tokenizer.chat_template").as_string().find("<|start_header_id|>"), std::string::npos);
  EXPECT_EQ(e->result.stop_tokens, (std::vector<std::string>{"<|eot_id|>"}));
}

TEST(ModelExport, NamesShapesAndQkPermutation) {
  auto e = export_bpe_model(FileType::kAllF32);
  const auto& f = *e->file;
  ASSERT_EQ(f.tensors().size(), 3u + 2u * 9u);
  EXPECT_EQ(f.tensors()[0].name, "token_embd.weight");
  EXPECT_EQ(f.tensors().back().name, "output.weight");
  const auto* q = f.tensor("blk.1.attn_q.weight");
  const auto* k = f.tensor("blk.1.attn_k.weight");
  const auto* v = f.tensor("blk.1.attn_v.weight");
  const auto* down = f.tensor("blk.0.ffn_down.weight");
  ASSERT_TRUE(q && k && v && down && f.tensor("output_norm.weight") && f.tensor("blk.0.ffn_norm.weight"));
  EXPECT_EQ(q->ne, (std::vector<int64_t>{64, 64}));
  EXPECT_EQ(k->ne, (std::vector<int64_t>{64, 32}));
  EXPECT_EQ(down->ne, (std::vector<int64_t>{96, 64}));
  // Q/K: per head of d = 16 rows, GGUF row h*d + 2j <- HF row h*d + j, h*d + 2j + 1 <- h*d + d/2 + j.
  for (const auto* t : {q, k}) {
    const std::string hf = t == q ? "model.layers.1.self_attn.q_proj.weight" : "model.layers.1.self_attn.k_proj.weight";
    const int ti = fixture_index(e->spec, hf);
    const auto data = f.dequantize(*t);
    const int64_t d = 16;
    for (int64_t h = 0; h < t->ne[1] / d; ++h) {
      for (int64_t j = 0; j < d / 2; ++j) {
        EXPECT_EQ(data[(h * d + 2 * j) * 64 + 3], fixture_value(ti, h * d + j, 3)) << hf;
        EXPECT_EQ(data[(h * d + 2 * j + 1) * 64 + 3], fixture_value(ti, h * d + d / 2 + j, 3)) << hf;
      }
    }
  }
  const auto vdata = f.dequantize(*v);  // V is not permuted
  EXPECT_EQ(vdata[5 * 64 + 7], fixture_value(fixture_index(e->spec, "model.layers.1.self_attn.v_proj.weight"), 5, 7));
}

TEST(ModelExport, TypesPerQuantizationAndFallbacks) {
  {
    auto e = export_bpe_model(FileType::kMostlyQ8_0);
    EXPECT_EQ(e->file->tensor("blk.0.attn_q.weight")->type, GgmlType::kQ8_0);
    EXPECT_EQ(e->file->tensor("blk.0.attn_norm.weight")->type, GgmlType::kF32);
    EXPECT_EQ(e->file->at("general.file_type").as_int(), 7);
    // Dequantized Q8_0 stays within half a step of the block maximum.
    const auto* t = e->file->tensor("blk.0.ffn_up.weight");
    const auto got = e->file->dequantize(*t);
    const int ti = fixture_index(e->spec, "model.layers.0.mlp.up_proj.weight");
    for (int64_t r = 0; r < t->ne[1]; r += 7) {
      for (int64_t c = 0; c < 64; ++c) {
        const float x = fixture_value(ti, r, c);
        EXPECT_NEAR(got[r * 64 + c], x, 0.5 * (std::abs(x) + 40) / 127 * 1.01) << r << "," << c;
      }
    }
  }
  {
    auto e = export_bpe_model(FileType::kMostlyQ4_K_M);
    // Rows of 64 / 96 are not multiples of 256: Q4_K -> Q5_0, Q6_K -> Q8_0 (llama-quant.cpp fallback).
    EXPECT_EQ(e->file->tensor("blk.1.attn_q.weight")->type, GgmlType::kQ5_0);
    EXPECT_EQ(e->file->tensor("output.weight")->type, GgmlType::kQ8_0);
    // use_more_bits(i, 2) holds for layer 1 only: Q6_K -> Q8_0 there, Q4_K -> Q5_0 in layer 0.
    EXPECT_EQ(e->file->tensor("blk.1.ffn_down.weight")->type, GgmlType::kQ8_0);
    EXPECT_EQ(e->file->tensor("blk.0.ffn_down.weight")->type, GgmlType::kQ5_0);
    EXPECT_EQ(e->file->tensor("blk.1.attn_v.weight")->type, GgmlType::kQ8_0);
    EXPECT_FALSE(e->result.fallbacks.empty());
    EXPECT_EQ(e->file->at("general.file_type").as_int(), 15);
  }
}

TEST(ModelExport, ChooseTypeFollowsLlamaQuantize) {
  QuantPlan plan;
  plan.file_type = FileType::kMostlyQ4_K_M;
  plan.n_attention_wv = 16;
  plan.n_ffn_down = 16;
  plan.has_output = true;
  std::string note;
  const std::vector<int64_t> wide{4096, 4096};
  EXPECT_EQ(choose_type("output.weight", wide, plan, &note), GgmlType::kQ6_K);
  EXPECT_EQ(choose_type("token_embd.weight", wide, plan, &note), GgmlType::kQ4_K);
  // use_more_bits(i, 16): i < 2, i >= 14, or (i - 2) % 3 == 2.
  for (int i = 0; i < 16; ++i) {
    const bool more = i < 2 || i >= 14 || (i - 2) % 3 == 2;
    const auto want = more ? GgmlType::kQ6_K : GgmlType::kQ4_K;
    EXPECT_EQ(choose_type("blk." + std::to_string(i) + ".attn_v.weight", wide, plan, &note), want) << i;
    EXPECT_EQ(choose_type("blk." + std::to_string(i) + ".ffn_down.weight", wide, plan, &note), want) << i;
    EXPECT_EQ(choose_type("blk." + std::to_string(i) + ".attn_q.weight", wide, plan, &note), GgmlType::kQ4_K) << i;
  }
  EXPECT_EQ(choose_type("blk.0.attn_norm.weight", {4096}, plan, &note), GgmlType::kF32);
  plan.has_output = false;  // tied: token_embd is quantized like the output
  EXPECT_EQ(choose_type("token_embd.weight", wide, plan, &note), GgmlType::kQ6_K);
  note.clear();
  EXPECT_EQ(choose_type("blk.3.ffn_down.weight", {172, 64}, plan, &note), GgmlType::kF16);  // stories260K
  EXPECT_NE(note.find("172 columns"), std::string::npos);
  plan.file_type = FileType::kMostlyQ4_0;
  EXPECT_EQ(choose_type("blk.0.attn_v.weight", wide, plan, &note), GgmlType::kQ4_0);
  EXPECT_EQ(choose_type("token_embd.weight", wide, plan, &note), GgmlType::kQ6_K);
  plan.file_type = FileType::kMostlyBF16;
  EXPECT_EQ(choose_type("blk.3.ffn_down.weight", {172, 64}, plan, &note), GgmlType::kBF16);
}

TEST(ModelExport, TiedEmbeddingsWriteNoOutput) {
  auto e = export_bpe_model(FileType::kMostlyF16, true);
  EXPECT_EQ(e->file->tensor("output.weight"), nullptr);
  EXPECT_EQ(e->file->tensor("token_embd.weight")->type, GgmlType::kF16);
}

TEST(LoraExport, NamesShapesAlphaAndPermutedB) {
  testing::TempDir dir;
  testing::TinyLlamaSpec spec;
  testing::write_tiny_llama(dir / "base", spec);
  testing::write_tiny_adapter(dir / "adapter", spec, 4, 8.0);
  LoraExportJob job{(dir / "adapter").string(), (dir / "base").string(), (dir / "lora.gguf").string(),
                    FileType::kAllF32, "tiny-lora"};
  const auto r = export_lora(job);
  EXPECT_EQ(r.pairs, 2);
  auto f = GgufFile::open(job.output);
  EXPECT_EQ(f->at("general.type").as_string(), "adapter");
  EXPECT_EQ(f->at("adapter.type").as_string(), "lora");
  EXPECT_EQ(f->at("adapter.lora.alpha").type, ValueType::kFloat32);
  EXPECT_EQ(f->at("adapter.lora.alpha").as_float(), 8.0);
  EXPECT_EQ(f->find("general.file_type"), nullptr);
  ASSERT_EQ(f->tensors().size(), 4u);
  const auto* qa = f->tensor("blk.0.attn_q.weight.lora_a");
  const auto* qb = f->tensor("blk.0.attn_q.weight.lora_b");
  const auto* vb = f->tensor("blk.0.attn_v.weight.lora_b");
  ASSERT_TRUE(qa && qb && vb && f->tensor("blk.0.attn_v.weight.lora_a"));
  EXPECT_EQ(qa->ne, (std::vector<int64_t>{64, 4}));  // [in, r]
  EXPECT_EQ(qb->ne, (std::vector<int64_t>{4, 64}));  // [r, out]
  EXPECT_EQ(vb->ne, (std::vector<int64_t>{4, 32}));
  const auto a = f->dequantize(*qa), b = f->dequantize(*qb), v = f->dequantize(*vb);
  EXPECT_EQ(a[2 * 64 + 5], 1000.f + 200 + 5);  // A unchanged
  EXPECT_EQ(b[2 * 4 + 1], 2000.f + 1 * 100 + 1);  // GGUF row 2 = HF row 1 (head 0, j = 1)
  EXPECT_EQ(b[3 * 4 + 1], 2000.f + 9 * 100 + 1);  // GGUF row 3 = HF row d/2 + 1 = 9
  EXPECT_EQ(v[3 * 4 + 1], 2000.f + 3 * 100 + 1);  // V's B not permuted
}

TEST(Modelfile, KnownTemplatesAndStops) {
  ModelfileInput in;
  in.gguf_file = "/x/out/model-q4_k_m.gguf";
  in.chat_template = "{% for m in messages %}<|im_start|>{{ m.role }}...";
  in.stop_tokens = {"<|im_end|>"};
  in.num_ctx = 2048;
  const auto text = modelfile_text(in);
  EXPECT_NE(text.find("FROM ./model-q4_k_m.gguf\n"), std::string::npos);
  EXPECT_NE(text.find("TEMPLATE \"\"\"{{- if .System }}<|im_start|>system"), std::string::npos);
  EXPECT_NE(text.find("PARAMETER stop \"<|im_end|>\"\n"), std::string::npos);
  EXPECT_NE(text.find("PARAMETER num_ctx 2048\n"), std::string::npos);
  in.chat_template = "<|start_header_id|>";
  EXPECT_EQ(template_family(in), "llama3");
  in.chat_template = "[INST]";
  EXPECT_EQ(template_family(in), "mistral");
  in.chat_template.clear();
  EXPECT_EQ(template_family(in), "");
  in.alpaca = true;
  EXPECT_NE(modelfile_text(in).find("### Response:"), std::string::npos);
}

TEST(TensorNames, HfToGguf) {
  EXPECT_EQ(*gguf_name("model.layers.12.mlp.down_proj.weight"), "blk.12.ffn_down.weight");
  EXPECT_EQ(*gguf_name("model.layers.0.post_attention_layernorm.weight"), "blk.0.ffn_norm.weight");
  EXPECT_EQ(*gguf_name("base_model.model.model.layers.3.self_attn.o_proj.weight"), "blk.3.attn_output.weight");
  EXPECT_EQ(*gguf_name("model.layers.1.self_attn.q_proj.bias"), "blk.1.attn_q.bias");
  EXPECT_EQ(*gguf_name("lm_head.weight"), "output.weight");
  EXPECT_FALSE(gguf_name("model.layers.0.self_attn.rotary_emb.inv_freq"));
  // Families (gguf-py tensor_mapping.py): Qwen3/Gemma-3 q/k norms, Phi-3 fusions, Gemma's four norms.
  EXPECT_EQ(*gguf_name("model.layers.2.self_attn.q_norm.weight"), "blk.2.attn_q_norm.weight");
  EXPECT_EQ(*gguf_name("model.layers.2.self_attn.qkv_proj.weight"), "blk.2.attn_qkv.weight");
  EXPECT_EQ(*gguf_name("model.layers.2.mlp.gate_up_proj.weight"), "blk.2.ffn_up.weight");
  EXPECT_EQ(*gguf_name("model.layers.2.post_attention_layernorm.weight", true), "blk.2.post_attention_norm.weight");
  EXPECT_EQ(*gguf_name("model.layers.2.pre_feedforward_layernorm.weight", true), "blk.2.ffn_norm.weight");
  EXPECT_EQ(*gguf_name("model.layers.2.post_feedforward_layernorm.weight", true), "blk.2.post_ffw_norm.weight");
  // A multimodal Gemma-3's text tower, in both spellings and as a PEFT adapter names it; the vision
  // tower has no name in the text model.
  EXPECT_EQ(*gguf_name("language_model.model.layers.1.self_attn.k_norm.weight"), "blk.1.attn_k_norm.weight");
  EXPECT_EQ(*gguf_name("model.language_model.embed_tokens.weight"), "token_embd.weight");
  EXPECT_EQ(*gguf_name("language_model.lm_head.weight"), "output.weight");
  EXPECT_EQ(*gguf_name("base_model.model.model.language_model.layers.0.self_attn.q_proj.weight"), "blk.0.attn_q.weight");
  EXPECT_FALSE(gguf_name("vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight"));
  EXPECT_FALSE(gguf_name("model.multi_modal_projector.mm_soft_emb_norm.weight"));
  EXPECT_EQ(layer_of("blk.17.attn_v.weight"), 17);
  EXPECT_EQ(layer_of("output.weight"), -1);
}

}  // namespace
}  // namespace axolotl::gguf
