// QAT preparation (see qat.h). Recipes from Axolotl's _make_qat_config (utils/quantization.py):
// int4 weights use torchao's Int4WeightFakeQuantizer, whose float8-activation path is its default
// (no activation, or fp8) and whose bfloat16 path goes with int8 activations; fp8 is rowwise. mxfp4
// fakes weights and activations whatever activation_dtype says (_make_qat_config builds one
// MXFakeQuantizeConfig for both); nvfp4 fakes the weights, and the activations when activation_dtype is
// nvfp4 (torchao's NVFP4 QAT recipe; Axolotl's own nvfp4 path hands torchao NVFP4WeightOnlyConfig,
// which torchao 0.17's QAT prepare step rejects).
#include "axolotl/adapters/qat.h"

#include <string>

#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::adapters {
namespace {

using config::QatDType;
using model::FakeQuantizer;
using model::InputFakeQuant;
using model::WeightFakeQuant;

[[noreturn]] void refuse(const config::QatConfig& q) {
  throw Error(Diagnostic{{}, "qat", "no fake-quantization recipe for this dtype pair",
                         std::to_string(static_cast<int>(q.weight_dtype)) + "/" +
                             std::to_string(static_cast<int>(q.activation_dtype)),
                         "int4 weights (no, int8 or fp8 activations) or fp8 weights with fp8 activations",
                         "axolotl validate names the refused pair"});
}

FakeQuantizer weight_only(const config::QatConfig& q) {
  FakeQuantizer f;
  f.group_size = q.group_size.value_or(128);  // Int4WeightOnlyConfig's own group size
  if (q.weight_dtype == QatDType::kInt4) f.weight_kind = WeightFakeQuant::kInt4Fp8Path;
  else if (q.weight_dtype == QatDType::kFloat8) f.weight_kind = WeightFakeQuant::kFloat8Row;
  else if (q.weight_dtype == QatDType::kNvfp4) f.weight_kind = WeightFakeQuant::kNvfp4;
  else refuse(q);
  return f;
}

void check_widths(const FakeQuantizer& f, const std::string& name, int64_t in) {
  const int64_t multiple = f.width_multiple();
  if (in % multiple == 0) return;
  const bool fp4 = f.weight_kind == WeightFakeQuant::kNvfp4 || f.weight_kind == WeightFakeQuant::kMxfp4;
  throw Error(Diagnostic{{}, fp4 ? "qat.weight_dtype" : "qat.group_size",
                         fp4 ? "a layer's input width is not a multiple of the fp4 block size"
                             : "a layer's input width is not a multiple of the group size",
                         name + ": " + std::to_string(in), "a multiple of " + std::to_string(multiple),
                         fp4 ? "nvfp4 quantizes blocks of 16 input features, mxfp4 blocks of 32"
                             : "pick a group_size that divides every linear input width and the hidden size"});
}

}  // namespace

void QatHandle::at_step(int64_t global_step) {
  if (!linear || !after_n_steps) return;
  const bool on = *after_n_steps > 0 && global_step >= *after_n_steps;
  if (on != linear->enabled) {
    log::info("qat", "{} fake quantization at step {}", on ? "enabling" : "disabling", global_step);
  }
  linear->enabled = on;
  if (embedding) embedding->enabled = on;
}

model::FakeQuantizer linear_fake_quantizer(const config::QatConfig& q) {
  if (q.weight_dtype == QatDType::kMxfp4) {
    FakeQuantizer f;
    f.weight_kind = WeightFakeQuant::kMxfp4;
    f.input_kind = InputFakeQuant::kMxfp4;
    return f;
  }
  if (q.activation_dtype == QatDType::kNone) return weight_only(q);
  FakeQuantizer f;
  f.group_size = q.group_size.value_or(128);
  if (q.weight_dtype == QatDType::kInt4 && q.activation_dtype == QatDType::kInt8) {
    f.weight_kind = WeightFakeQuant::kInt4Bf16Path;
    f.input_kind = InputFakeQuant::kInt8PerToken;
  } else if (q.weight_dtype == QatDType::kInt4 && q.activation_dtype == QatDType::kFloat8) {
    f.weight_kind = WeightFakeQuant::kInt4Fp8Path;
    f.input_kind = InputFakeQuant::kFloat8Row;
  } else if (q.weight_dtype == QatDType::kFloat8 && q.activation_dtype == QatDType::kFloat8) {
    f.weight_kind = WeightFakeQuant::kFloat8Row;
    f.input_kind = InputFakeQuant::kFloat8Row;
  } else if (q.weight_dtype == QatDType::kNvfp4 && q.activation_dtype == QatDType::kNvfp4) {
    f.weight_kind = WeightFakeQuant::kNvfp4;
    f.input_kind = InputFakeQuant::kNvfp4;
  } else {
    refuse(q);
  }
  return f;
}

// prepare_model_for_qat builds the embedding's recipe with no activation dtype (the config checks refuse
// fp8 and fp4 embeddings, which torchao cannot fake).
model::FakeQuantizer embedding_fake_quantizer(const config::QatConfig& q) { return weight_only(q); }

QatHandle prepare_for_qat(model::LlamaForCausalLMImpl& m, const config::QatConfig& q) {
  QatHandle h;
  if (!q.enabled) return h;
  h.linear = std::make_shared<FakeQuantizer>(linear_fake_quantizer(q));
  h.after_n_steps = q.fake_quant_after_n_steps;
  int64_t layers = 0;
  for (const auto& item : m.named_modules("", /*include_self=*/false)) {
    auto dense = std::dynamic_pointer_cast<model::DenseLinear>(item.value());
    if (!dense) continue;
    check_widths(*h.linear, item.key(), dense->in_features());
    dense->fake_quant = h.linear;
    ++layers;
  }
  if (!m.lm_head && !m.score) {  // tied: the head reads the embedding table through its own linear quantizer
    check_widths(*h.linear, "lm_head (tied)", m.model->embed_tokens->weight.size(1));
    m.tied_head_fake_quant = h.linear;
    ++layers;
  }
  if (q.quantize_embedding) {
    h.embedding = std::make_shared<FakeQuantizer>(embedding_fake_quantizer(q));
    check_widths(*h.embedding, "model.embed_tokens", m.model->embed_tokens->weight.size(1));
    m.model->embed_tokens->fake_quant = h.embedding;
  }
  const std::string recipe = h.linear->weight_kind == WeightFakeQuant::kNvfp4   ? "nvfp4, blocks of 16"
                             : h.linear->weight_kind == WeightFakeQuant::kMxfp4 ? "mxfp4, blocks of 32"
                                                                                 : "group size " + std::to_string(h.linear->group_size);
  log::info("qat", "fake quantization on {} linear layers{} ({}{}){}", layers,
            q.quantize_embedding ? " and the embedding" : "", recipe,
            h.linear->input_kind == InputFakeQuant::kNone ? "" : ", activations too",
            q.fake_quant_after_n_steps ? ", from step " + std::to_string(*q.fake_quant_after_n_steps) : "");
  h.at_step(0);
  return h;
}

}  // namespace axolotl::adapters
