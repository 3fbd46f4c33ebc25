// create_tiny_model: tokenizer (data::train_tokenizer, or a copied one) + config.json + N(0, 0.02) weights.
#include "axolotl/model/tiny_model.h"
#include "axolotl/model/hf_versions.h"

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "axolotl/data/tokenizer.h"
#include "axolotl/data/tokenizer_trainer.h"
#include "axolotl/io/atomic_file.h"
#include "axolotl/io/safetensors.h"
#include "axolotl/model/family.h"
#include "axolotl/model/llama_model.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::model {
namespace fs = std::filesystem;

LlamaConfig tiny_llama_config(int64_t vocab_size) {
  LlamaConfig c;
  c.vocab_size = vocab_size;
  c.hidden_size = 128;
  c.intermediate_size = 344;  // ~8/3 H rounded up to a multiple of 8, as LLaMA sizes its MLP
  c.num_hidden_layers = 4;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;  // GQA, n_rep 2
  c.head_dim = 32;
  c.max_position_embeddings = 1024;
  c.rms_norm_eps = 1e-5;
  c.rope_theta = 10000.0;
  c.tie_word_embeddings = true;
  c.bos_token_id = 1;
  c.eos_token_ids = {2};
  c.torch_dtype = "float32";
  return c;
}

LlamaConfig tiny_family_config(const std::string& family, int64_t vocab_size) {
  const LlamaConfig llama = tiny_llama_config(vocab_size);
  if (family == "llama") return llama;
  const std::string model_type = family == "gemma3" ? "gemma3_text" : family;
  const std::string arch = architecture_for_model_type(model_type);
  if (arch.empty()) {
    throw UsageError(Diagnostic{{}, "--family", "unknown model family", family,
                                "llama, mistral, qwen2, qwen3, gemma2, gemma3 or phi3", {}});
  }
  auto j = nlohmann::json::parse(llama_config_json(llama));
  j["architectures"] = {arch};
  j["model_type"] = model_type;
  j.erase("hidden_act");  // the family's own activation
  if (model_type == "gemma2" || model_type == "gemma3_text") {
    j["sliding_window"] = 64;
    j["query_pre_attn_scalar"] = llama.head_dim;
    if (model_type == "gemma3_text") j["sliding_window_pattern"] = 2;
  }
  return parse_llama_config(j, "tiny " + family);
}

namespace {

void write_weights(const LlamaConfig& config, uint64_t seed, const std::string& path) {
  LlamaForCausalLM model(config, torch::TensorOptions().dtype(torch::kFloat32));
  init_weights(*model, seed);
  std::vector<io::TensorSource> sources;
  for (const auto& item : model->named_parameters()) {
    auto t = item.value().detach().contiguous();
    sources.push_back(io::TensorSource{item.key(), io::DType::kF32, t.sizes().vec(), [t](uint8_t* dst) {
                                         std::memcpy(dst, t.data_ptr(), t.numel() * sizeof(float));
                                       }});
  }
  io::write_safetensors(path, sources);
}

std::string generation_config_json(const LlamaConfig& c) {
  nlohmann::json j{{"_from_model_config", true}, {"bos_token_id", c.bos_token_id},
                   {"transformers_version", kTransformersVersion},
                   {"eos_token_id", c.eos_token_ids.size() == 1 ? nlohmann::json(c.eos_token_ids[0])
                                                                : nlohmann::json(c.eos_token_ids)}};
  return j.dump(2) + "\n";
}

}  // namespace

void create_tiny_model(const std::string& output_dir, const std::string& corpus_path, bool force, uint64_t seed,
                       const std::string& family, const std::string& tokenizer_dir, int64_t intermediate_size) {
  (void)tiny_family_config(family, 64);  // an unknown family fails before any work
  const auto start = std::chrono::steady_clock::now();
  const fs::path out = fs::absolute(output_dir).lexically_normal();
  if (fs::exists(out) && !(fs::is_directory(out) && fs::is_empty(out)) && !force) {
    throw UsageError(Diagnostic{{}, "--output", "the output folder exists and is not empty", out.string(), {},
                                "pass --force to replace it"});
  }
  if (tokenizer_dir.empty() && !fs::exists(corpus_path)) {
    throw IoError(Diagnostic{{corpus_path, 0, 0}, {}, "corpus file not found", {}, {}, {}});
  }
  const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::current_path();
  fs::create_directories(parent);
  const fs::path tmp = parent / ("." + out.filename().string() + ".tmp-" + std::to_string(getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  try {
    LlamaConfig config;
    if (tokenizer_dir.empty()) {
      config = tiny_family_config(family, data::train_tokenizer(corpus_path, tmp.string(), 512, static_cast<uint32_t>(seed)));
    } else {
      for (const char* name : {"tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"}) {
        if (fs::is_regular_file(fs::path(tokenizer_dir) / name)) fs::copy_file(fs::path(tokenizer_dir) / name, tmp / name);
      }
      const auto tok = data::Tokenizer::load(tmp.string());
      config = tiny_family_config(family, tok->vocab_size());
      config.bos_token_id = tok->bos_id() >= 0 ? tok->bos_id() : 0;
      config.eos_token_ids = {tok->eos_id() >= 0 ? tok->eos_id() : 0};
    }
    if (intermediate_size > 0) config.intermediate_size = intermediate_size;
    io::write_file_atomic((tmp / "config.json").string(), llama_config_json(config));
    io::write_file_atomic((tmp / "generation_config.json").string(), generation_config_json(config));
    write_weights(config, seed, (tmp / "model.safetensors").string());
    if (fs::exists(out)) fs::remove_all(out);
    fs::rename(tmp, out);
    io::sync_directory(parent.string());
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  log::info("model", "created the tiny model in {} ({:.2f} s)", out.string(), s);
}

}  // namespace axolotl::model
