// Quantization-aware training: every linear layer of a loaded model (projections and lm_head, as
// torchao's quantize_ swaps every nn.Linear) and, with quantize_embedding, the embedding table get the
// fake quantizers Axolotl's prepare_model_for_qat builds; weights and their names are untouched, so
// the saved model is the plain fine-tuned one (Axolotl's convert step). Call before adding LoRA.
#pragma once

#include <memory>

#include "axolotl/config/config.h"
#include "axolotl/model/fake_quant.h"
#include "axolotl/model/llama_model.h"

namespace axolotl::adapters {

// The switches of a prepared model; empty when qat is off.
struct QatHandle {
  std::shared_ptr<model::FakeQuantizer> linear;     // shared by every linear layer
  std::shared_ptr<model::FakeQuantizer> embedding;  // quantize_embedding only
  std::optional<int64_t> after_n_steps;             // fake_quant_after_n_steps

  explicit operator bool() const { return linear != nullptr; }
  // Axolotl's QATCallback: with fake_quant_after_n_steps N, off before optimizer step N (0-based) and
  // on from it (N = 0: off for the whole run, as its callback leaves it).
  void at_step(int64_t global_step);
};

// The recipes _make_qat_config picks for qat's (weight, activation) pair; Error for pairs the config
// checks refuse.
model::FakeQuantizer linear_fake_quantizer(const config::QatConfig& qat);
model::FakeQuantizer embedding_fake_quantizer(const config::QatConfig& qat);

// Attaches the quantizers; Error naming the layer when an input width is not a multiple of group_size
// (int4) or of the fp4 block (16 nvfp4, 32 mxfp4).
QatHandle prepare_for_qat(model::LlamaForCausalLMImpl& m, const config::QatConfig& qat);

}  // namespace axolotl::adapters
