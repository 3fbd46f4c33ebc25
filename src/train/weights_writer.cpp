// Adapter / full-model files of checkpoints and of the final output.
#include "axolotl/train/weights_writer.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "axolotl/adapters/folder_rewrite.h"
#include "axolotl/adapters/lora_injection.h"
#include "axolotl/adapters/merge_folder.h"
#include "axolotl/adapters/peft_adapter.h"
#include "axolotl/adapters/tensor_io.h"
#include "axolotl/io/atomic_file.h"
#include "axolotl/io/sharded_writer.h"
#include "axolotl/model/embedding_resize.h"
#include "axolotl/model/family.h"
#include "axolotl/model/runtime.h"
#include "axolotl/model/weight_loader.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::train {
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMaxShardBytes = 5'000'000'000;

nlohmann::json read_config_json(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(Diagnostic{Location{path.string(), 0, 0}, {}, "cannot read file", {}, {}, {}});
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::exception& e) {
    throw IoError(Diagnostic{Location{path.string(), 0, 0}, {}, "not valid JSON", e.what(), {}, {}});
  }
}

// The multimodal checkpoint with its text tower replaced (weights_writer.h).
void write_multimodal(const std::string& dir, model::LlamaForCausalLMImpl& m, const BaseCheckpoint& base) {
  if (base.model_dir.empty()) {
    throw Error(Diagnostic{Location{dir, 0, 0}, "base_model", "saving a full fine-tune of a multimodal model needs its base folder",
                           m.config().wrapper_architecture, "the folder the model was loaded from",
                           "this is a bug: the trainer passes base_model's folder"});
  }
  auto params = m.named_parameters();  // causal-LM names (family.h)
  std::set<std::string> written;
  const std::string head = "lm_head.weight", embed = "model.embed_tokens.weight";
  io::ShardedWriter writer(dir, kMaxShardBytes);
  int64_t others = 0;
  const int64_t total = adapters::rewrite_tensors(
      adapters::weight_files(base.model_dir), writer, m.dtype(),
      [&](const std::shared_ptr<io::SafetensorsFile>&, const io::TensorInfo& info,
          torch::ScalarType) -> std::optional<io::TensorSource> {
        if (model::outside_text_tower(info.name)) {
          ++others;
          return std::nullopt;  // the vision tower and projector, as the base has them
        }
        std::string own = model::causal_lm_name(info.name);
        // A tied checkpoint that still stores the head gets the trained embedding there (the same tensor).
        if (own == head && !params.contains(head) && m.config().tie_word_embeddings) own = embed;
        if (!params.contains(own)) {
          throw Error(Diagnostic{Location{base.model_dir, 0, 0}, info.name,
                                 "a text-tower tensor of the base checkpoint has no trained counterpart", own,
                                 "the model's parameter of that name", "wrong base model? config.json and the weights must match"});
        }
        written.insert(own);
        return adapters::tensor_source(info.name, params[own].detach());
      });
  for (const auto& item : params) {
    if (!written.count(item.key())) {
      throw Error(Diagnostic{Location{base.model_dir, 0, 0}, item.key(), "the base checkpoint has no tensor for this trained parameter",
                             {}, "every text-tower weight in the base's safetensors", "wrong base model?"});
    }
  }
  writer.finish();
  const fs::path config_dir = base.config_dir.empty() ? base.model_dir : base.config_dir;
  const auto config = adapters::rewritten_config(read_config_json(config_dir / "config.json"), m.dtype(),
                                                 model::embedding_rows(m));
  io::write_file_atomic((fs::path(dir) / "config.json").string(), config.dump(2) + "\n");
  io::write_file_atomic((fs::path(dir) / "generation_config.json").string(),
                        adapters::generation_config_for(base.model_dir, config).dump(2) + "\n");
  log::info("train", "saved {} tensors into {}: the trained text tower, {} vision-tower and projector tensors from {}",
            total, dir, others, base.model_dir);
}

}  // namespace

void write_weights(const std::string& dir, model::LlamaForCausalLMImpl& m, const adapters::AdapterConfig& adapter,
                   const BaseCheckpoint& base) {
  fs::create_directories(dir);
  if (adapter.r > 0) {
    adapters::save_adapter(dir, m, adapter);
    return;
  }
  if (!m.config().wrapper_architecture.empty()) {
    write_multimodal(dir, m, base);
    return;
  }
  io::ShardedWriter writer(dir, kMaxShardBytes);
  for (const auto& item : m.named_parameters()) writer.add(adapters::tensor_source(item.key(), item.value().detach()));
  writer.finish();
  model::LlamaConfig c = m.config();
  c.torch_dtype = model::dtype_name(m.dtype());
  c.vocab_size = model::embedding_rows(m);  // grown for added tokens (embedding_resize.h)
  const std::string config_json = model::llama_config_json(c);
  io::write_file_atomic((fs::path(dir) / "config.json").string(), config_json);
  if (m.is_classifier()) return;  // save_pretrained writes generation_config.json only for models that generate
  // As PreTrainedModel.save_pretrained: the base's generation config, else one from config.json.
  io::write_file_atomic((fs::path(dir) / "generation_config.json").string(),
                        adapters::generation_config_for(base.model_dir, nlohmann::json::parse(config_json)).dump(2) + "\n");
}

void read_weights(const std::string& dir, model::LlamaForCausalLMImpl& m, const adapters::AdapterConfig& adapter) {
  if (adapter.r > 0) {
    const adapters::AdapterFiles files = adapters::read_adapter(dir);
    adapters::load_adapter_state(m, adapter, files.tensors, dir);
    return;
  }
  model::load_weights(m, dir);
}

}  // namespace axolotl::train
