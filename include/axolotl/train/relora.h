// ReLoRA (Axolotl's `relora: true`, monkeypatch/relora.py; arXiv 2307.05695): at the beginning of every
// optimizer step that is a multiple of jagged_restart_steps the adapter is merged into the base weights,
// the LoRA weights start afresh (PEFT's reset_lora_parameters: A Kaiming-uniform, B zero) and the LoRA
// weights' Adam moments are pruned (relora_prune_method: the smallest magnitudes, or at random, to
// relora_prune_ratio). The learning rate restarts with them (lr_scheduler.h, jagged restarts).
//
// The merged base streams through disk, as Axolotl's quantized path does: the last base folder (the
// run's base model, then each restart's merge) + the adapter -> output_dir/relora/step-N (merge_folder.h:
// float32 merge, written in the base checkpoint's dtype), whose weights then replace the in-memory base of
// every adapted projection (re-quantized for QLoRA / 8-bit). Every checkpoint after a restart holds that
// folder as checkpoint-N/relora, so a resume loads the same base and continues bit for bit; the final
// output is the whole merged model (as Axolotl's: no adapter is left to apply).
// Differences from Axolotl: QLoRA re-quantizes the merged weights as written (Axolotl quantizes its
// unrounded sum and saves a float16 copy; here float16 only when the base is float16); the merge works on
// LoRA-adapted projections only (as there), and modules_to_save are not pruned (as there).
#pragma once

#include <functional>
#include <string>

#include "axolotl/adapters/adapter_config.h"
#include "axolotl/config/config.h"
#include "axolotl/model/llama_model.h"
#include "axolotl/train/optimizer.h"

namespace axolotl::train {

struct ReLoraSettings {
  int64_t restart_steps = 0;                // jagged_restart_steps
  config::ReLoraPrune prune = config::ReLoraPrune::kMagnitude;
  double prune_ratio = 0.9;                 // resolved: relora_prune_ratio, else 0.9 (reset: 0.999)
  config::QuantizationConfig quantization;  // how the base is held in memory
  std::string base_dir;                     // the run's base model folder
  std::string config_dir;                   // its config.json's folder when not base_dir
  std::string work_dir;                     // output_dir/relora: each restart's merged base
  std::string config_overrides;             // model_config, carried into the merged config.json
};

// relora_prune_ratio as Axolotl resolves it.
double relora_prune_ratio(const config::ReLoraConfig& relora);

class ReLora {
 public:
  // `main`: this process writes the merged folders; `barrier` waits for every rank (a no-op alone).
  ReLora(ReLoraSettings settings, model::LlamaForCausalLMImpl& model, const adapters::AdapterConfig& adapter,
         Optimizer& optimizer, bool main, std::function<void(const std::string&)> barrier);

  // Before optimizer step `step` (the count of steps done): a restart when step > 0 and step is a
  // multiple of restart_steps. Returns whether it restarted.
  bool at_step(int64_t step);
  int64_t restarts() const { return restarts_; }

  // A checkpoint's copy of the current merged base (hard links where possible): checkpoint_dir/relora.
  // Nothing before the first restart (the base is the run's base model).
  void save(const std::string& checkpoint_dir) const;
  // Resuming from a checkpoint of step `step`: its relora folder, when present, becomes the base in
  // memory and the folder the next restart merges from.
  void restore(const std::string& checkpoint_dir, int64_t step);
  // The final output: the current base merged with the current adapter, as HF model files (weights,
  // config.json, generation_config.json) moved into `out_dir`. Main process only.
  void write_merged(const std::string& out_dir) const;

 private:
  void merge_into(const std::string& output_dir) const;  // current base + adapter -> output_dir
  void load_base(const std::string& dir);                 // adapted projections' base weights from dir
  void prune_moments();

  ReLoraSettings s_;
  model::LlamaForCausalLMImpl& model_;
  const adapters::AdapterConfig& adapter_;
  Optimizer& optimizer_;
  bool main_;
  std::function<void(const std::string&)> barrier_;
  std::string base_dir_, config_dir_;  // what the next merge starts from
  int64_t restarts_ = 0;
};

}  // namespace axolotl::train
