// PEFT adapter -> GGUF LoRA (see lora_export.h; llama.cpp convert_lora_to_gguf.py, src/llama-adapter.cpp).
#include "axolotl/export/lora_export.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "axolotl/export/gguf_arch.h"
#include "axolotl/export/gguf_writer.h"
#include "axolotl/export/quantize.h"
#include "axolotl/export/tensor_names.h"
#include "axolotl/io/half.h"
#include "axolotl/io/safetensors.h"
#include "axolotl/model/family.h"
#include "axolotl/model/llama_config.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::gguf {
namespace fs = std::filesystem;
namespace {

bool ends_with(const std::string& s, const std::string& t) {
  return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

std::vector<float> to_f32(const io::SafetensorsFile& f, const io::TensorInfo& info) {
  std::vector<float> out(static_cast<size_t>(info.numel()));
  const uint8_t* p = f.data(info);
  switch (info.dtype) {
    case io::DType::kF32: std::memcpy(out.data(), p, out.size() * 4); break;
    case io::DType::kBF16: io::convert_bf16_to_f32(reinterpret_cast<const uint16_t*>(p), out.data(), out.size()); break;
    case io::DType::kF16: io::convert_f16_to_f32(reinterpret_cast<const uint16_t*>(p), out.data(), out.size()); break;
    default:
      throw IoError(Diagnostic{Location{f.path(), 0, 0}, info.name, "cannot export this dtype",
                               std::string(io::dtype_name(info.dtype)), "F32, F16 or BF16", {}});
  }
  return out;
}

}  // namespace

LoraExportResult export_lora(const LoraExportJob& job) {
  const fs::path dir(job.adapter_dir);
  std::ifstream in(dir / "adapter_config.json");
  if (!in) {
    throw IoError(Diagnostic{Location{(dir / "adapter_config.json").string(), 0, 0}, {}, "cannot read adapter config",
                             {}, {}, "train with adapter: lora first, or set lora_model_dir"});
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const auto acfg = nlohmann::json::parse(ss.str(), nullptr, false);
  if (!acfg.is_object()) throw IoError(Diagnostic{Location{(dir / "adapter_config.json").string(), 0, 0}, {}, "not valid JSON", {}, {}, {}});
  const auto cfg = model::load_llama_config(job.config_dir);
  const ArchTraits& arch = arch_for_class(cfg.num_labels > 0 ? model::classifier_of(cfg.architecture, cfg.token_classifier) : cfg.architecture);
  LoraExportResult result;
  result.rank = acfg.value("r", int64_t{8});
  double alpha = acfg.value("lora_alpha", 8.0);
  // llama.cpp scales by alpha / rank; rsLoRA's alpha / sqrt(rank) is kept by storing alpha * sqrt(rank).
  if (acfg.value("use_rslora", false)) alpha *= std::sqrt(static_cast<double>(result.rank));
  result.alpha = static_cast<float>(alpha);
  if (job.file_type != FileType::kAllF32 && job.file_type != FileType::kMostlyF16 &&
      job.file_type != FileType::kMostlyBF16 && job.file_type != FileType::kMostlyQ8_0) {
    throw UsageError(Diagnostic{{}, "--quant", "LoRA adapters are exported as f32, f16, bf16 or q8_0 (as convert_lora_to_gguf)",
                                std::string(file_type_name(job.file_type)), "f32|f16|bf16|q8_0", {}});
  }

  auto file = io::SafetensorsFile::open((dir / "adapter_model.safetensors").string());
  struct Pair {
    const io::TensorInfo* a = nullptr;
    const io::TensorInfo* b = nullptr;
  };
  std::map<std::string, Pair> pairs;  // gguf base name -> tensors
  for (const auto& t : file->tensors()) {
    std::string module;
    bool is_a = false;
    if (ends_with(t.name, ".lora_A.weight")) {
      module = t.name.substr(0, t.name.size() - 14);
      is_a = true;
    } else if (ends_with(t.name, ".lora_B.weight")) {
      module = t.name.substr(0, t.name.size() - 14);
    } else {
      throw Error(Diagnostic{Location{file->path(), 0, 0}, t.name, "only LoRA A/B tensors can go into a GGUF adapter",
                             {}, "*.lora_A.weight / *.lora_B.weight",
                             "modules_to_save (e.g. new embeddings) need a merged export: --format gguf"});
    }
    auto g = gguf_name(module + ".weight", arch.sandwich_norms);
    if (!g || *g == "token_embd.weight" || *g == "output.weight") {
      throw Error(Diagnostic{Location{file->path(), 0, 0}, t.name, "no GGUF LoRA target for this module", module,
                             "attention and MLP projections", "export the merged model: --format gguf"});
    }
    (is_a ? pairs[*g].a : pairs[*g].b) = &t;
  }

  GgufWriter w(job.output);
  w.set("general.architecture", Value::str(arch.name));
  w.set("general.type", Value::str("adapter"));
  if (!job.name.empty()) w.set("general.name", Value::str(job.name));
  w.set("adapter.type", Value::str("lora"));
  w.set("adapter.lora.alpha", Value::f32(result.alpha));
  w.set("general.quantization_version", Value::u32(2));
  const io::SafetensorsFile* f = file.get();
  for (const auto& [base, p] : pairs) {
    if (!p.a || !p.b) throw Error(Diagnostic{Location{file->path(), 0, 0}, base, "LoRA pair incomplete", {}, "both A and B", {}});
    // A (r, in) -> ne [in, r]; B (out, r) -> ne [r, out].
    const std::vector<int64_t> ne_a{p.a->shape[1], p.a->shape[0]}, ne_b{p.b->shape[1], p.b->shape[0]};
    int64_t n_head = 0;
    if (arch.permute_qk && base.find(".attn_q.") != std::string::npos) n_head = cfg.num_attention_heads;
    if (arch.permute_qk && base.find(".attn_k.") != std::string::npos) n_head = cfg.num_key_value_heads;
    auto type_for = [&](int64_t ne0) {
      GgmlType t = default_type(job.file_type);
      if (ne0 % traits(t).block_size != 0) t = GgmlType::kF16;
      return t;
    };
    const GgmlType ta = type_for(ne_a[0]), tb = type_for(ne_b[0]);
    const io::TensorInfo* a = p.a;
    const io::TensorInfo* b = p.b;
    w.add_tensor(TensorEntry{base + ".lora_a", ne_a, ta, [f, a, ne_a, ta](uint8_t* dst) {
                               auto x = to_f32(*f, *a);
                               convert_rows(ta, x.data(), ne_a[1], ne_a[0], dst, 1);
                             }});
    w.add_tensor(TensorEntry{base + ".lora_b", ne_b, tb, [f, b, ne_b, tb, n_head](uint8_t* dst) {
                               auto x = to_f32(*f, *b);
                               if (n_head > 0) permute_qk_rows(x.data(), ne_b[1], ne_b[0], n_head);
                               convert_rows(tb, x.data(), ne_b[1], ne_b[0], dst, 1);
                             }});
  }
  result.pairs = static_cast<int64_t>(pairs.size());
  result.bytes = w.write();
  log::info("export", "wrote {} ({} LoRA pairs, rank {}, alpha {})", job.output, result.pairs, result.rank, result.alpha);
  return result;
}

}  // namespace axolotl::gguf
