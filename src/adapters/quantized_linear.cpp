// Nf4Linear and Int8Linear. The matmul is a custom autograd function that keeps only the quantized
// weight for backward and dequantizes it again there (as bitsandbytes' MatMul4Bit), so training does
// not hold a dense copy of every layer between forward and backward.
#include "axolotl/adapters/quantized_linear.h"

#include <string>

#include "axolotl/model/cpu_gemm.h"
#include "axolotl/util/error.h"

namespace axolotl::adapters {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Saves the fields of a quantized weight in an autograd context and restores them.
struct Nf4WeightState {
  static void save(AutogradContext* ctx, const Nf4Weight& w) {
    ctx->saved_data["packed"] = w.packed_;
    ctx->saved_data["absmax"] = w.absmax_;
    ctx->saved_data["absmax2"] = w.absmax2_;
    ctx->saved_data["dyn"] = w.dyn_map_;
    ctx->saved_data["shape"] = std::vector<int64_t>{w.rows_, w.cols_, w.blocksize_, w.nested_ ? 1 : 0};
    ctx->saved_data["offset"] = static_cast<double>(w.offset_);
  }
  static Nf4Weight restore(AutogradContext* ctx) {
    Nf4Weight w;
    w.packed_ = ctx->saved_data["packed"].toTensor();
    w.absmax_ = ctx->saved_data["absmax"].toTensor();
    w.absmax2_ = ctx->saved_data["absmax2"].toTensor();
    w.dyn_map_ = ctx->saved_data["dyn"].toTensor();
    const auto shape = ctx->saved_data["shape"].toIntVector();
    w.rows_ = shape[0];
    w.cols_ = shape[1];
    w.blocksize_ = static_cast<int>(shape[2]);
    w.nested_ = shape[3] != 0;
    w.offset_ = static_cast<float>(ctx->saved_data["offset"].toDouble());
    return w;
  }
};

struct Int8WeightState {
  static void save(AutogradContext* ctx, const Int8Weight& w) {
    ctx->saved_data["data"] = w.data_;
    ctx->saved_data["scale"] = w.scale_;
  }
  static Int8Weight restore(AutogradContext* ctx) {
    Int8Weight w;
    w.data_ = ctx->saved_data["data"].toTensor();
    w.scale_ = ctx->saved_data["scale"].toTensor();
    return w;
  }
};

namespace {

// y = x·Wᵀ with W dequantized from `State`'s weight; gradient only for x (W frozen). The bias is
// added outside: custom functions cannot take undefined tensors as inputs.
template <typename Weight, typename State>
struct QuantizedMatMul : public torch::autograd::Function<QuantizedMatMul<Weight, State>> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const Weight& weight) {
    State::save(ctx, weight);
    ctx->saved_data["dtype"] = static_cast<int64_t>(x.scalar_type());
    const auto w = weight.dequantize(x.scalar_type());  // (out, in)
    return model::linear(x, w);                         // (..., out)
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto dtype = static_cast<torch::ScalarType>(ctx->saved_data["dtype"].toInt());
    const auto w = State::restore(ctx).dequantize(dtype);  // (out, in)
    const auto& gy = grads[0];                                           // (..., out)
    auto sizes = gy.sizes().vec();
    sizes.back() = w.size(1);
    const auto gy2 = gy.reshape({-1, gy.size(-1)});                      // (M, out)
    return {model::batched_matmul(gy2, w, false).view(sizes), torch::Tensor()};  // dx (..., in)
  }
};

using Nf4MatMul = QuantizedMatMul<Nf4Weight, Nf4WeightState>;
using Int8MatMul = QuantizedMatMul<Int8Weight, Int8WeightState>;

torch::Tensor frozen_bias(torch::nn::Module& owner, const torch::Tensor& bias) {
  if (!bias.defined()) return bias;
  return owner.register_parameter("bias", bias.detach().clone(), /*requires_grad=*/false);  // (out)
}

}  // namespace

Nf4Linear::Nf4Linear(Nf4Weight weight, torch::Tensor b, torch::ScalarType compute_dtype)
    : weight_(std::move(weight)), compute_dtype_(compute_dtype) {
  bias = frozen_bias(*this, b);
}

std::shared_ptr<Nf4Linear> Nf4Linear::from_dense(const model::DenseLinear& dense, int blocksize,
                                                 bool double_quant, torch::ScalarType compute_dtype) {
  return std::make_shared<Nf4Linear>(Nf4Weight::quantize(dense.weight, blocksize, double_quant), dense.bias,
                                     compute_dtype);
}

torch::Tensor Nf4Linear::forward(const torch::Tensor& x) {
  // Linear4bit (FORMATS.md §4.5): compute in compute_dtype, return in the input dtype.
  const auto xc = x.to(compute_dtype_);                                        // (..., in)
  const auto b = bias.defined() ? bias.to(compute_dtype_) : bias;              // (out)
  auto y = Nf4MatMul::apply(xc, weight_);                                      // (..., out)
  if (b.defined()) y = y + b;
  return y.to(x.scalar_type());
}

void Nf4Linear::to(torch::Device device, torch::Dtype dtype, bool non_blocking) {
  weight_.to(device);
  torch::nn::Module::to(device, dtype, non_blocking);
}
void Nf4Linear::to(torch::Dtype dtype, bool non_blocking) { torch::nn::Module::to(dtype, non_blocking); }
void Nf4Linear::to(torch::Device device, bool non_blocking) {
  weight_.to(device);
  torch::nn::Module::to(device, non_blocking);
}

Int8Linear::Int8Linear(Int8Weight weight, torch::Tensor b) : weight_(std::move(weight)) {
  bias = frozen_bias(*this, b);
}

std::shared_ptr<Int8Linear> Int8Linear::from_dense(const model::DenseLinear& dense) {
  return std::make_shared<Int8Linear>(Int8Weight::quantize(dense.weight), dense.bias);
}

torch::Tensor Int8Linear::forward(const torch::Tensor& x) {
  const auto b = bias.defined() ? bias.to(x.scalar_type()) : bias;  // (out)
  auto y = Int8MatMul::apply(x, weight_);                           // (..., out)
  return b.defined() ? y + b : y;
}

void Int8Linear::to(torch::Device device, torch::Dtype dtype, bool non_blocking) {
  weight_.to(device);
  torch::nn::Module::to(device, dtype, non_blocking);
}
void Int8Linear::to(torch::Dtype dtype, bool non_blocking) { torch::nn::Module::to(dtype, non_blocking); }
void Int8Linear::to(torch::Device device, bool non_blocking) {
  weight_.to(device);
  torch::nn::Module::to(device, non_blocking);
}

torch::Tensor dense_weight(const model::LinearLike& layer, torch::ScalarType dtype) {
  if (const auto* dense = dynamic_cast<const model::DenseLinear*>(&layer)) return dense->weight.detach().to(dtype);
  if (const auto* q4 = dynamic_cast<const Nf4Linear*>(&layer)) return q4->quantized().dequantize(dtype);
  if (const auto* q8 = dynamic_cast<const Int8Linear*>(&layer)) return q8->quantized().dequantize(dtype);
  throw Error("dense_weight: unsupported layer kind " + layer.name());
}

}  // namespace axolotl::adapters
