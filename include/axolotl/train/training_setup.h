// Everything a run needs before its first step: tokenizer, prepared rows (train and validation),
// the model on its device and dtype with adapters injected, and the trainable parameters. With data
// parallelism every rank builds the same model, then takes rank 0's parameters.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "axolotl/adapters/adapter_config.h"
#include "axolotl/adapters/adapter_switch.h"
#include "axolotl/adapters/lora_injection.h"
#include "axolotl/adapters/qat.h"
#include "axolotl/config/config.h"
#include "axolotl/data/prepared_cache.h"
#include "axolotl/data/tokenizer.h"
#include "axolotl/model/llama_model.h"
#include "axolotl/train/distributed_context.h"
#include "axolotl/train/optimizer.h"
#include "axolotl/train/weights_writer.h"

namespace axolotl::train {

struct TrainingSetup {
  std::string tokenizer_dir;
  BaseCheckpoint base;  // where the model was loaded from (a multimodal full fine-tune is saved from it)
  std::unique_ptr<data::Tokenizer> tokenizer;
  data::PreparedData data;
  std::vector<std::string> pretrain_files;  // pretraining_dataset: the local files streamed (data.train is empty)
  model::LlamaForCausalLM model{nullptr};
  adapters::AdapterConfig adapter;  // r = 0: full fine-tuning
  adapters::InjectionReport report;
  adapters::QatHandle qat;          // qat: the fake quantizers' switch (the loop sets it each step)
  adapters::SavedModuleBases saved_bases;  // modules_to_save base weights for reference passes (DPO, IPO, KTO)
  NamedParams trainable;            // requires_grad parameters, model order
};

// Seeds torch with training.seed first, so adapter initialisation is reproducible (and the same on
// every rank). With `dist` distributed: model.threads 0 and no OMP_NUM_THREADS → cores / local
// workers intra-op threads; parameters broadcast from rank 0; then torch is seeded with seed + rank so
// dropout differs per rank (a single process keeps its stream unchanged).
TrainingSetup load_training_setup(const config::Config& config, DistributedContext& dist);

}  // namespace axolotl::train
