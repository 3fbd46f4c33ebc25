// A LoRA layer with PEFT semantics (FORMATS.md §3.4): y = base(x) + B(A(dropout(x))) · scaling, around
// a frozen base (DenseLinear, Nf4Linear or Int8Linear). Submodules are registered as PEFT names them in
// memory (base_layer, lora_A, lora_B) minus the adapter name, so parameter keys read
// `...q_proj.lora_A.weight`, the adapter file keys once "base_model.model." is prepended.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "axolotl/model/linear.h"

namespace axolotl::adapters {

struct LoraSpec {
  int64_t rank = 8;
  double alpha = 16.0;
  double dropout = 0.0;
  bool use_rslora = false;
  // scaling = alpha / r, or alpha / sqrt(r) with use_rslora (peft tuners/lora/layer.py update_layer).
  double scaling() const;
};

class LoraLinear : public model::LinearLike {
 public:
  // A (r, in) ~ kaiming_uniform(a=√5) = U(−1/√in, 1/√in) and B (out, r) = 0 (init_lora_weights=true),
  // drawn from torch's default generator, float32 on the base layer's device.
  LoraLinear(std::shared_ptr<model::LinearLike> base, const LoraSpec& spec);
  torch::Tensor forward(const torch::Tensor& x) override;  // (..., in) -> (..., out)
  int64_t in_features() const override { return base_layer->in_features(); }
  int64_t out_features() const override { return base_layer->out_features(); }

  const LoraSpec& spec() const { return spec_; }
  double scaling() const { return scaling_; }
  // The initialisation again, in place (PEFT reset_lora_parameters(init_lora_weights=True); ReLoRA).
  void reset_parameters();
  // ΔW = (B @ A) · scaling, float32 (out, in).
  torch::Tensor delta_weight() const;

  std::shared_ptr<model::LinearLike> base_layer;
  std::shared_ptr<model::DenseLinear> lora_A;  // weight (r, in)
  std::shared_ptr<model::DenseLinear> lora_B;  // weight (out, r)

 private:
  LoraSpec spec_;
  double scaling_;
};

}  // namespace axolotl::adapters
