// LoftQ initialisation (see loftq.h).
#include "axolotl/adapters/loftq.h"

#include "axolotl/adapters/lora_injection.h"
#include "axolotl/adapters/lora_linear.h"
#include "axolotl/adapters/quantized_weight.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::adapters {

namespace {

void check_bits(int bits) {
  if (bits != 4 && bits != 8) {
    throw Error(Diagnostic{{}, "peft.loftq_config.loftq_bits", "LoftQ quantizes to NF4 or int8", std::to_string(bits),
                           "4 or 8", {}});
  }
}

}  // namespace

torch::Tensor loftq_base(const torch::Tensor& weight, int bits) {
  check_bits(bits);
  const auto w = weight.to(torch::kCPU, torch::kFloat32);  // (out, in)
  // Params4bit(compress_statistics=False, quant_type="nf4"): blocks of 64, plain absmax.
  const auto q = bits == 4 ? Nf4Weight::quantize(w, 64, false).dequantize(torch::kFloat32)
                           : Int8Weight::quantize(w).dequantize(torch::kFloat32);
  return q.to(weight.device());  // (out, in) float32
}

LoftqFactors loftq_factors(const torch::Tensor& weight, int bits, int64_t rank) {
  torch::NoGradGuard no_grad;
  const auto w = weight.to(torch::kFloat32);          // (out, in)
  const auto q = loftq_base(weight, bits);             // (out, in) float32
  const auto usv = torch::linalg::svd(w - q, /*full_matrices=*/false, c10::nullopt);
  const auto& u = std::get<0>(usv);   // (out, k)
  const auto& s = std::get<1>(usv);   // (k)
  const auto& vh = std::get<2>(usv);  // (k, in)
  const auto root = s.narrow(0, 0, std::min<int64_t>(rank, s.size(0))).sqrt();  // (r)
  LoftqFactors f;
  f.base = q.to(weight.scalar_type());
  f.lora_B = u.narrow(1, 0, root.size(0)) * root.unsqueeze(0);   // (out, r) = U · sqrt(diag S)[:, :r]
  f.lora_A = root.unsqueeze(1) * vh.narrow(0, 0, root.size(0));  // (r, in) = sqrt(diag S)[:r] · Vh
  if (root.size(0) < rank) {  // a rank above min(out, in): PEFT's slices are as short; pad with zeros
    const int64_t missing = rank - root.size(0);
    const auto zeros_b = torch::zeros(std::vector<int64_t>{w.size(0), missing}, w.options());  // (out, missing)
    const auto zeros_a = torch::zeros(std::vector<int64_t>{missing, w.size(1)}, w.options());  // (missing, in)
    f.lora_B = torch::cat(std::vector<torch::Tensor>{f.lora_B, zeros_b}, 1);
    f.lora_A = torch::cat(std::vector<torch::Tensor>{f.lora_A, zeros_a}, 0);
  }
  return f;
}

void apply_loftq(model::LlamaForCausalLMImpl& m, int bits, bool init_adapter) {
  check_bits(bits);
  torch::NoGradGuard no_grad;
  int64_t count = 0;
  for (const auto& [name, layer] : projections(m)) {
    auto lora = std::dynamic_pointer_cast<LoraLinear>(layer);
    if (!lora) continue;
    auto dense = std::dynamic_pointer_cast<model::DenseLinear>(lora->base_layer);
    if (!dense) {
      throw Error(Diagnostic{{}, "peft.loftq_config", "LoftQ initialises LoRA over a dense base", name + ": quantized",
                             "adapter: lora without load_in_4bit / load_in_8bit",
                             "LoftQ itself stands in for the quantized base"});
    }
    if (init_adapter) {
      const auto f = loftq_factors(dense->weight, bits, lora->lora_A->weight.size(0));
      dense->weight.copy_(f.base);
      lora->lora_A->weight.copy_(f.lora_A);
      lora->lora_B->weight.copy_(f.lora_B);
    } else {
      dense->weight.copy_(loftq_base(dense->weight, bits));
    }
    ++count;
  }
  log::info("adapters", "LoftQ ({}-bit): {} projections' bases replaced by their quantized form{}", bits, count,
            init_adapter ? ", adapters initialised from the residuals' SVD" : "");
}

}  // namespace axolotl::adapters
