// Loads tokenizer, data, model and adapters for a training run.
#include "axolotl/train/training_setup.h"

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "axolotl/model/pretrained.h"
#include "axolotl/model/runtime.h"
#include "axolotl/train/distributed_grads.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::train {

namespace {

// The model settings of this worker: with several local workers and neither model.threads nor
// OMP_NUM_THREADS set, the cores are shared out (as the launcher's OMP_NUM_THREADS does).
config::ModelConfig worker_model_config(const config::ModelConfig& model, const DistributedContext& dist) {
  config::ModelConfig m = model;
  if (m.threads <= 0 && dist.local_world_size() > 1 && std::getenv("OMP_NUM_THREADS") == nullptr) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    m.threads = std::max(1, cores / dist.local_world_size());
  }
  return m;
}

}  // namespace

TrainingSetup load_training_setup(const config::Config& c, DistributedContext& dist) {
  TrainingSetup s;
  s.tokenizer_dir = c.tokenizer.path.empty() ? model::model_folder(c.model) : c.tokenizer.path;
  s.tokenizer = data::Tokenizer::load(s.tokenizer_dir, c.tokenizer);

  data::BuildOptions build;
  build.seed = c.training.seed;
  build.tokenizer_dir = s.tokenizer_dir;
  bool reused = false;
  std::string folder;
  s.data = data::prepare(c.data, c.tokenizer, *s.tokenizer, build, &reused, &folder);
  log::info("train", "{} prepared rows: {} train, {} validation ({})", reused ? "reusing" : "built",
            s.data.train.size(), s.data.val.size(), folder);
  if (s.data.train.size() == 0) {
    Diagnostic d;
    d.key = "datasets";
    d.message = "no training rows are left after preprocessing";
    d.hint = "check sequence_len / min_sample_len and the dataset format (axolotl preprocess shows the counts)";
    throw ConfigError({d});
  }

  torch::manual_seed(c.training.seed);
  // Quantized bases are quantized projection by projection as they load (never all dense at once).
  s.model = model::load_pretrained(worker_model_config(c.model, dist), [&](model::LlamaForCausalLMImpl& m) {
    return adapters::quantize_while_loading(m, c.quantization);
  });
  s.adapter = adapters::setup_adapters(*s.model, c.adapter, c.quantization, c.model.name, &s.report);
  if (dist.distributed()) {
    if (s.model->device() != dist.device()) s.model->to(dist.device());
    broadcast_parameters(dist, s.model->parameters());  // every rank starts from rank 0's weights
    torch::manual_seed(c.training.seed + static_cast<uint64_t>(dist.rank()));  // dropout per rank
  }
  for (const auto& item : s.model->named_parameters())
    if (item.value().requires_grad()) s.trainable.emplace_back(item.key(), item.value());
  if (s.trainable.empty()) throw Error("the model has no trainable parameters (adapter settings?)");
  int64_t n = 0, total = 0;
  for (const auto& [name, p] : s.trainable) n += p.numel();
  for (const auto& p : s.model->parameters()) total += p.numel();
  log::info("train", "model {} ({}, {}): {} trainable parameters of {} ({})", c.model.name,
            model::dtype_name(s.model->dtype()), s.model->device().str(), n, total,
            s.adapter.r > 0 ? "LoRA r=" + std::to_string(s.adapter.r) : std::string("full fine-tuning"));
  s.model->train();
  return s;
}

}  // namespace axolotl::train
