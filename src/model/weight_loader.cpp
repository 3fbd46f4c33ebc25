// Checkpoint -> LlamaForCausalLM: validate all names/shapes/dtypes, then copy tensor by tensor.
#include "axolotl/model/weight_loader.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <chrono>
#include <filesystem>

#include "axolotl/io/sharded_reader.h"
#include "axolotl/model/family.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::model {
namespace fs = std::filesystem;

namespace {

bool torch_dtype(io::DType d, torch::ScalarType* out) {
  switch (d) {
    case io::DType::kF32: *out = torch::kFloat32; return true;
    case io::DType::kBF16: *out = torch::kBFloat16; return true;
    case io::DType::kF16: *out = torch::kFloat16; return true;
    case io::DType::kF64: *out = torch::kFloat64; return true;
    default: return false;
  }
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

bool ignored_key(const std::string& name) {
  const std::string suffix = "rotary_emb.inv_freq";
  return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// How a multimodal checkpoint spells its text tower (family.h): by its embedding's name; a folder
// holding the text tower under the causal-LM names (as full fine-tunes were saved before they kept the
// whole checkpoint) is read as one.
TowerLayout tower_layout(const LlamaConfig& c, const io::ShardedReader& reader) {
  if (c.wrapper_architecture.empty()) return TowerLayout::kCausalLm;
  for (TowerLayout layout : {TowerLayout::kCurrent, TowerLayout::kLegacy}) {
    if (reader.find(tower_name("model.embed_tokens.weight", layout))) return layout;
  }
  return TowerLayout::kCausalLm;
}

}  // namespace

void require_checkpoint(const std::string& folder) {
  if (io::ShardedReader::exists(folder)) return;
  const fs::path dir(folder);
  std::string hint = "a Hugging Face folder needs model.safetensors or model.safetensors.index.json";
  if (fs::exists(dir / "pytorch_model.bin") || fs::exists(dir / "pytorch_model.bin.index.json")) {
    hint = "only pytorch_model.bin found: convert it to safetensors (pickle checkpoints are not read)";
  }
  throw IoError(Diagnostic{{folder, 0, 0}, {}, "no safetensors weights in the model folder", {}, {}, hint});
}

LoadStats load_weights(LlamaForCausalLMImpl& model, const std::string& folder, const TensorLoaded& on_loaded) {
  const auto start = std::chrono::steady_clock::now();
  require_checkpoint(folder);
  const auto reader = io::ShardedReader::open(folder);
  auto params = model.named_parameters();
  const TowerLayout layout = tower_layout(model.config(), *reader);
  std::vector<std::string> missing, unexpected, misshaped, bad_dtype;
  // A classifier made from a causal LM (AutoModelFor{Sequence,Token}Classification on a base checkpoint):
  // a new score head, and the checkpoint's lm_head.weight left unused, as transformers does.
  const bool classifier = model.is_classifier();
  bool new_head = false;
  for (const auto& item : params) {
    const auto ref = reader->find(tower_name(item.key(), layout));
    if (!ref && classifier && (item.key() == "score.weight" || item.key() == "score.bias")) {
      new_head = true;
      continue;
    }
    if (!ref) {
      missing.push_back(item.key());
      continue;
    }
    const auto& info = *ref.info;
    if (info.shape != item.value().sizes().vec()) {
      misshaped.push_back(item.key() + " " + shape_str(info.shape) + " vs " + shape_str(item.value().sizes().vec()));
    }
    torch::ScalarType st;
    if (!torch_dtype(info.dtype, &st)) bad_dtype.push_back(item.key() + " " + std::string(io::dtype_name(info.dtype)));
  }
  int64_t other_towers = 0;  // vision tower and projector of a multimodal checkpoint: not loaded
  for (const auto& spelled : reader->names()) {
    const bool wrapped = !model.config().wrapper_architecture.empty();
    if (wrapped && outside_text_tower(spelled)) {
      ++other_towers;
      continue;
    }
    const std::string name = layout == TowerLayout::kCausalLm ? spelled : causal_lm_name(spelled);
    const bool respelled = name != spelled || tower_name(name, layout) == spelled;
    // Some tied checkpoints still carry lm_head.weight (a copy of embed_tokens): ignored like inv_freq.
    const bool tied_head = name == "lm_head.weight" && (model.config().tie_word_embeddings || classifier);
    if ((!params.contains(name) || !respelled) && !ignored_key(name) && !tied_head) unexpected.push_back(spelled);
  }
  if (!missing.empty() || !unexpected.empty() || !misshaped.empty() || !bad_dtype.empty()) {
    std::string msg = "checkpoint does not match the model config";
    auto list = [&msg](const char* what, const std::vector<std::string>& names) {
      if (names.empty()) return;
      msg += "\n  " + std::to_string(names.size()) + " " + what + ":";
      for (const auto& n : names) msg += "\n    " + n;
    };
    list("missing", missing);
    list("unexpected", unexpected);
    list("mis-shaped (checkpoint vs config)", misshaped);
    list("with unsupported dtypes (F32, BF16, F16 or F64 expected)", bad_dtype);
    throw Error(Diagnostic{{folder, 0, 0}, {}, msg, {}, {},
                           "wrong base model? config.json and the weights must come from the same checkpoint"});
  }
  LoadStats stats;
  torch::NoGradGuard no_grad;
  for (auto& item : params) {
    if (new_head && item.key() == "score.bias") {  // _init_weights: zeros
      item.value().zero_();
      if (on_loaded) on_loaded(item.key());
      continue;
    }
    if (new_head && item.key() == "score.weight") {
      // transformers' _init_weights: N(0, initializer_range), here from a fixed seed (HF draws it from
      // the global generator).
      auto gen = at::make_generator<at::CPUGeneratorImpl>(42);
      item.value().copy_(at::normal(0.0, model.config().initializer_range, item.value().sizes(), gen,
                                    torch::TensorOptions().dtype(torch::kFloat32)));
      log::info("model", "score.weight is not in {}: a new {}-output head, N(0, {}){}{}", folder,
                model.config().num_labels, model.config().initializer_range,
                model.config().token_classifier ? ", bias 0" : "",
                reader->find("lm_head.weight") ? "; the checkpoint's lm_head.weight is not used" : "");
      if (on_loaded) on_loaded(item.key());
      continue;
    }
    const auto ref = reader->at(tower_name(item.key(), layout));
    const auto* info = ref.info;
    torch::ScalarType st;
    torch_dtype(info->dtype, &st);
    auto src = torch::from_blob(const_cast<uint8_t*>(ref.data()), info->shape,
                                torch::TensorOptions().dtype(st));  // a view of the mapping
    item.value().copy_(src);                                        // converts dtype and device
    // NaN/Inf in a checkpoint trains and generates garbage with exit 0: one summing pass (float64,
    // so finite weights cannot overflow) catches any non-finite element.
    if (c10::isFloatingType(st) && !std::isfinite(item.value().sum(torch::kFloat64).item<double>())) {
      throw Error(Diagnostic{{ref.file->path(), 0, 0}, item.key(), "the checkpoint tensor holds NaN or infinity",
                             "non-finite values", "finite weights", "the checkpoint is damaged; download it again"});
    }
    ref.file->release(*info);        // the mapping's pages leave our resident set
    item.value() = torch::Tensor();  // only the module keeps it now, so on_loaded can release it
    stats.tensors += 1;
    stats.bytes += info->nbytes();
    if (on_loaded) on_loaded(item.key());
  }
  if (other_towers > 0) {
    log::info("model", "{}: trains the text tower; {} vision-tower and projector tensors are left in the checkpoint",
              model.config().wrapper_architecture, other_towers);
  }
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  log::info("model", "loaded {} tensors ({:.1f} MB) from {} in {:.2f} s", stats.tensors, stats.bytes / 1e6, folder,
            stats.seconds);
  return stats;
}

}  // namespace axolotl::model
