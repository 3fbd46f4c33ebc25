// ReLoRA restarts (see relora.h). Pruning as Axolotl's magnitude_pruning_ / random_pruning_: a quantile
// of |moment| in float32 and `> threshold` kept, or a uniform draw `> ratio` kept.
#include "axolotl/train/relora.h"

#include <filesystem>
#include <system_error>

#include "axolotl/adapters/lora_injection.h"
#include "axolotl/adapters/lora_linear.h"
#include "axolotl/adapters/merge_folder.h"
#include "axolotl/adapters/tensor_io.h"
#include "axolotl/io/sharded_reader.h"
#include "axolotl/model/family.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::train {
namespace fs = std::filesystem;

namespace {

// Files of a merged HF folder that make a model (the tokenizer files are the run's own).
bool model_file(const std::string& name) {
  return (name.rfind("model", 0) == 0 && (name.find(".safetensors") != std::string::npos)) || name == "config.json" ||
         name == "generation_config.json";
}

// Hard links of `from`'s model files in `to` (copies where links are refused, e.g. across file systems).
void link_model_files(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (const auto& e : fs::directory_iterator(from)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file() || !model_file(name)) continue;
    std::error_code ec;
    fs::remove(to / name, ec);
    fs::create_hard_link(e.path(), to / name, ec);
    if (ec) fs::copy_file(e.path(), to / name, fs::copy_options::overwrite_existing);
  }
}

torch::Tensor read_tensor(const io::ShardedReader& reader, const model::LlamaConfig& config, const std::string& name,
                          const std::string& dir) {
  auto ref = reader.find(name);
  if (!ref) ref = reader.find(model::peft_name(config, name));
  if (!ref) {
    throw IoError(Diagnostic{{dir, 0, 0}, name, "ReLoRA: the merged base has no such tensor", "absent",
                             "every adapted projection's weight", "was the folder written by another run?"});
  }
  return adapters::view_tensor(*ref.file, *ref.info);
}

}  // namespace

double relora_prune_ratio(const config::ReLoraConfig& r) {
  if (r.prune_ratio) return *r.prune_ratio;
  return r.prune_method == config::ReLoraPrune::kReset ? 0.999 : 0.9;
}

ReLora::ReLora(ReLoraSettings settings, model::LlamaForCausalLMImpl& model, const adapters::AdapterConfig& adapter,
               Optimizer& optimizer, bool main, std::function<void(const std::string&)> barrier)
    : s_(std::move(settings)), model_(model), adapter_(adapter), optimizer_(optimizer), main_(main),
      barrier_(std::move(barrier)), base_dir_(s_.base_dir), config_dir_(s_.config_dir) {
  if (s_.restart_steps <= 0) throw Error("ReLoRA: jagged_restart_steps must be positive");
  if (!model_.config().wrapper_architecture.empty()) {
    throw Error(Diagnostic{{}, "relora", "ReLoRA on a multimodal checkpoint's text tower is not implemented",
                           model_.config().wrapper_architecture, "a causal-LM checkpoint", {}});
  }
}

bool ReLora::at_step(int64_t step) {
  if (step <= 0 || step % s_.restart_steps != 0) return false;
  const fs::path dir = fs::path(s_.work_dir) / ("step-" + std::to_string(step));
  if (main_) merge_into(dir.string());
  barrier_("relora merge");
  load_base(dir.string());
  for (const auto& [name, layer] : adapters::projections(model_)) {
    if (auto lora = std::dynamic_pointer_cast<adapters::LoraLinear>(layer)) lora->reset_parameters();
  }
  prune_moments();
  barrier_("relora load");  // every rank holds the new base before the previous folder goes
  const fs::path previous = base_dir_;
  base_dir_ = dir.string();
  config_dir_.clear();
  std::error_code ec;
  if (main_ && previous.parent_path() == fs::path(s_.work_dir)) fs::remove_all(previous, ec);
  ++restarts_;
  log::info("train", "ReLoRA restart {} at step {}: adapter merged into the base ({}), LoRA weights reset", restarts_,
            step, dir.string());
  return true;
}

void ReLora::merge_into(const std::string& output_dir) const {
  const fs::path adapter_dir = fs::path(s_.work_dir) / "adapter.tmp";
  std::error_code ec;
  fs::remove_all(adapter_dir, ec);
  adapters::save_adapter(adapter_dir.string(), model_, adapter_);
  adapters::MergeJob job;
  job.base_dir = base_dir_;
  job.config_dir = config_dir_;
  job.adapter_dir = adapter_dir.string();
  job.output_dir = output_dir;
  job.config_overrides = s_.config_overrides;
  job.force = true;
  job.write_tokenizer = [](const std::string&) {};  // model files only
  adapters::merge_folder(job);
  fs::remove_all(adapter_dir, ec);
}

void ReLora::load_base(const std::string& dir) {
  const auto reader = io::ShardedReader::open(dir);
  const auto dtype = model_.dtype();
  torch::NoGradGuard no_grad;
  for (const auto& [name, layer] : adapters::projections(model_)) {
    auto lora = std::dynamic_pointer_cast<adapters::LoraLinear>(layer);
    if (!lora) continue;
    const auto weight = read_tensor(*reader, model_.config(), name + ".weight", dir);  // (out, in) file dtype
    if (auto dense = std::dynamic_pointer_cast<model::DenseLinear>(lora->base_layer)) {
      dense->weight.copy_(weight);  // in place: (out, in) in the model dtype
      continue;
    }
    // A quantized base: a dense layer of the merged weights in the model dtype, quantized as at load.
    torch::Device device = torch::kCPU;
    for (const auto& p : lora->parameters()) device = p.device();
    const auto options = torch::TensorOptions().dtype(dtype).device(device);
    const bool has_bias =
        reader->find(name + ".bias") || reader->find(model::peft_name(model_.config(), name + ".bias"));
    model::DenseLinear fresh(weight.size(1), weight.size(0), has_bias, options);
    fresh.weight.copy_(weight);
    if (has_bias) fresh.bias.copy_(read_tensor(*reader, model_.config(), name + ".bias", dir));
    auto q = adapters::quantized(fresh, s_.quantization, dtype);
    for (auto& p : q->parameters()) p.set_requires_grad(false);
    lora->base_layer = lora->replace_module("base_layer", q);
  }
}

void ReLora::prune_moments() {
  int64_t zeros = 0, total = 0;
  for (const auto& [name, p] : optimizer_.params()) {
    if (name.find("lora_") == std::string::npos) continue;  // modules_to_save keep their moments (as Axolotl)
    for (auto& m : optimizer_.adam_moments(p)) {
      torch::NoGradGuard no_grad;
      if (s_.prune == config::ReLoraPrune::kMagnitude) {
        const auto magnitude = m.abs();
        if (magnitude.numel() > (int64_t{1} << 24)) continue;  // torch.quantile's limit: Axolotl skips these too
        const auto threshold = torch::quantile(magnitude.flatten().to(torch::kFloat32), s_.prune_ratio).to(m.dtype());
        m.mul_(magnitude.gt(threshold).to(m.dtype()));
      } else {
        m.mul_(torch::rand(m.sizes(), m.options().dtype(torch::kFloat32)).gt(s_.prune_ratio).to(m.dtype()));
      }
      total += m.numel();
      zeros += m.eq(0).sum().item<int64_t>();
    }
  }
  log::info("train", "ReLoRA: {:.2f}% of the adapter's optimizer moments zeroed", 100.0 * zeros / (1e-7 + total));
}

void ReLora::save(const std::string& checkpoint_dir) const {
  if (restarts_ == 0 && base_dir_ == s_.base_dir) return;
  link_model_files(base_dir_, fs::path(checkpoint_dir) / "relora");
}

void ReLora::restore(const std::string& checkpoint_dir, int64_t step) {
  restarts_ = step > 0 ? (step - 1) / s_.restart_steps : 0;  // restarts begin steps N, 2N, ...: before `step` ended
  const fs::path saved = fs::path(checkpoint_dir) / "relora";
  std::error_code ec;
  if (!fs::is_directory(saved, ec)) {
    if (restarts_ > 0) {
      throw IoError(Diagnostic{{saved.string(), 0, 0}, "relora", "the checkpoint has no merged base",
                               "step " + std::to_string(step) + " after " + std::to_string(restarts_) + " restarts",
                               "checkpoint-N/relora (written with every checkpoint after a restart)",
                               "resume from a checkpoint of this ReLoRA run"});
    }
    return;
  }
  // The checkpoint may be rotated away (save_total_limit): the next merge reads a copy of its own.
  const fs::path dir = fs::path(s_.work_dir) / ("step-" + std::to_string(restarts_ * s_.restart_steps));
  if (main_) link_model_files(saved, dir);
  barrier_("relora restore");
  load_base(dir.string());
  base_dir_ = dir.string();
  config_dir_.clear();
  log::info("train", "ReLoRA: resumed the merged base of {} restart(s) from {}", restarts_, saved.string());
}

void ReLora::write_merged(const std::string& out_dir) const {
  const fs::path dir = fs::path(s_.work_dir) / "final";
  merge_into(dir.string());
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && model_file(name)) fs::rename(e.path(), fs::path(out_dir) / name);
  }
  std::error_code ec;
  fs::remove_all(s_.work_dir, ec);
}

}  // namespace axolotl::train
