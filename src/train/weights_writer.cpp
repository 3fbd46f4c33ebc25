// Adapter / full-model files of checkpoints and of the final output.
#include "axolotl/train/weights_writer.h"

#include <filesystem>

#include "axolotl/adapters/lora_injection.h"
#include "axolotl/adapters/peft_adapter.h"
#include "axolotl/adapters/tensor_io.h"
#include "axolotl/io/atomic_file.h"
#include "axolotl/io/sharded_writer.h"
#include "axolotl/model/embedding_resize.h"
#include "axolotl/model/runtime.h"
#include "axolotl/model/weight_loader.h"
#include "axolotl/util/error.h"

namespace axolotl::train {
namespace fs = std::filesystem;

void write_weights(const std::string& dir, model::LlamaForCausalLMImpl& m, const adapters::AdapterConfig& adapter) {
  fs::create_directories(dir);
  if (adapter.r > 0) {
    adapters::save_adapter(dir, m, adapter);
    return;
  }
  io::ShardedWriter writer(dir, 5'000'000'000);
  for (const auto& item : m.named_parameters()) writer.add(adapters::tensor_source(item.key(), item.value().detach()));
  writer.finish();
  model::LlamaConfig c = m.config();
  c.torch_dtype = model::dtype_name(m.dtype());
  c.vocab_size = model::embedding_rows(m);  // grown for added tokens (embedding_resize.h)
  const std::string path = (fs::path(dir) / "config.json").string();
  io::write_file_atomic(path, model::llama_config_json(c));
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
