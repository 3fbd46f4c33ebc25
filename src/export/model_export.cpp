// HF folder -> GGUF model (see model_export.h). Sources: llama.cpp convert_hf_to_gguf.py
// (LlamaModel: metadata, permute, prepare_tensors' F32 rules, generate_extra_tensors) and
// src/llama-quant.cpp (llama_tensor_get_type_impl, tensor_type_fallback).
#include "axolotl/export/model_export.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "axolotl/export/arch_metadata.h"
#include "axolotl/export/gguf_arch.h"
#include "axolotl/export/gguf_writer.h"
#include "axolotl/export/quantize.h"
#include "axolotl/export/tensor_names.h"
#include "axolotl/export/tokenizer_metadata.h"
#include "axolotl/io/half.h"
#include "axolotl/io/sharded_reader.h"
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

bool use_more_bits(int i_layer, int n_layers) {
  return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 || (i_layer - n_layers / 8) % 3 == 2;
}

// llama-quant.cpp tensor_type_fallback for the types chosen here; Q8_0/Q4_0 rows that are not a
// multiple of 32 fall back to F16 as convert_hf_to_gguf's QuantError does.
GgmlType fallback(const std::string& name, int64_t ncols, GgmlType t, std::string* note) {
  if (ncols % traits(t).block_size == 0) return t;
  GgmlType r = GgmlType::kF16;
  if (t == GgmlType::kQ4_K) r = GgmlType::kQ5_0;
  if (t == GgmlType::kQ5_K) r = GgmlType::kQ5_1;
  if (t == GgmlType::kQ6_K) r = GgmlType::kQ8_0;
  if (ncols % traits(r).block_size != 0) r = GgmlType::kF16;
  if (note) {
    *note = name + ": " + std::string(type_name(t)) + " -> " + std::string(type_name(r)) + " (" +
            std::to_string(ncols) + " columns, not a multiple of " + std::to_string(traits(t).block_size) + ")";
  }
  return r;
}

std::vector<float> read_f32(const io::TensorRef& ref) {
  const auto& info = *ref.info;
  std::vector<float> out(static_cast<size_t>(info.numel()));
  const uint8_t* p = ref.data();
  switch (info.dtype) {
    case io::DType::kF32: std::memcpy(out.data(), p, out.size() * 4); break;
    case io::DType::kBF16: io::convert_bf16_to_f32(reinterpret_cast<const uint16_t*>(p), out.data(), out.size()); break;
    case io::DType::kF16: io::convert_f16_to_f32(reinterpret_cast<const uint16_t*>(p), out.data(), out.size()); break;
    default:
      throw IoError(Diagnostic{Location{ref.file->path(), 0, 0}, info.name, "cannot export this dtype to GGUF",
                               std::string(io::dtype_name(info.dtype)), "F32, F16 or BF16",
                               "merge quantized checkpoints first (axolotl merge)"});
  }
  ref.file->release(info);
  return out;
}

void add_in_dtype(std::vector<float>& data, float shift, io::DType dtype) {
  for (float& x : data) {
    x += shift;
    if (dtype == io::DType::kBF16) x = io::bf16_to_f32(io::f32_to_bf16(x));
    if (dtype == io::DType::kF16) x = io::f16_to_f32(io::f32_to_f16(x));
  }
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

GgmlType choose_type(const std::string& name, const std::vector<int64_t>& ne, const QuantPlan& plan, std::string* note) {
  // Always F32: 1-D tensors, norms, biases (convert_hf_to_gguf prepare_tensors, llama-quant's filter).
  if (ne.size() < 2 || ends_with(name, "_norm.weight") || !ends_with(name, ".weight")) return GgmlType::kF32;
  const FileType ft = plan.file_type;
  const GgmlType base = default_type(ft);
  if (ft == FileType::kAllF32 || ft == FileType::kMostlyF16 || ft == FileType::kMostlyBF16) return base;
  if (ft == FileType::kMostlyQ8_0) return fallback(name, ne[0], base, note);
  // q4_0 / q4_k_m: llama_tensor_get_type_impl.
  GgmlType t = base;
  const int layer = layer_of(name);
  if (name == "output.weight" || (!plan.has_output && name == "token_embd.weight")) {
    t = ne[0] % traits(base).block_size != 0 ? GgmlType::kQ8_0 : GgmlType::kQ6_K;
  } else if (name.find("attn_qkv.weight") != std::string::npos) {
    if (ft == FileType::kMostlyQ4_K_M) t = GgmlType::kQ5_K;  // fused Q/K/V (Phi-3)
  } else if (name.find("attn_v.weight") != std::string::npos) {
    if (ft == FileType::kMostlyQ4_K_M && use_more_bits(layer, plan.n_attention_wv)) t = GgmlType::kQ6_K;
  } else if (name.find("ffn_down") != std::string::npos) {
    if (ft == FileType::kMostlyQ4_K_M && use_more_bits(layer, plan.n_ffn_down)) t = GgmlType::kQ6_K;
  }
  return fallback(name, ne[0], t, note);
}

ExportResult export_model(const ModelExportJob& job) {
  const auto start = std::chrono::steady_clock::now();
  const std::string config_dir = job.config_dir.empty() ? job.model_dir : job.config_dir;
  auto cfg_json = nlohmann::json::parse(read_text(fs::path(config_dir) / "config.json"), nullptr, false);
  // A multimodal config's text_config moved to the top level (convert_hf_to_gguf TextModel.__init__).
  if (cfg_json.is_object() && cfg_json.contains("text_config") && cfg_json["text_config"].is_object()) {
    for (const auto& [k, v] : cfg_json["text_config"].items()) cfg_json[k] = v;
  }
  const auto cfg = model::load_llama_config(config_dir);
  const ArchTraits& arch = arch_for_class(cfg.num_labels > 0 ? model::classifier_of(cfg.architecture, cfg.token_classifier) : cfg.architecture);
  auto reader = io::ShardedReader::open(job.model_dir);
  const std::string a = arch.name;

  // The tensors in llama.cpp's order: token_embd, blocks by layer, output_norm, output.
  struct Item {
    std::string hf, gguf;
    int group, layer;
  };
  std::vector<Item> items;
  int64_t other_towers = 0;
  for (const auto& hf : reader->names()) {
    if (model::outside_text_tower(hf)) {  // vision tower, projector: the converter's mmproj file, not this one
      ++other_towers;
      continue;
    }
    if (arch.skip_lm_head && model::causal_lm_name(hf) == "lm_head.weight") {
      log::info("export", "skipping lm_head.weight: {} ties the output to token_embd (as convert_hf_to_gguf)", arch.name);
      continue;
    }
    auto g = gguf_name(hf, arch.sandwich_norms);
    if (!g) {
      log::warn("export", "skipping {} (no GGUF name)", hf);
      continue;
    }
    const int layer = layer_of(*g);
    const int group = *g == "token_embd.weight" ? 0 : layer >= 0 ? 1 : *g == "output.weight" ? 3 : 2;
    items.push_back({hf, *g, group, layer});
  }
  if (other_towers > 0) {
    log::info("export", "{}: exporting the text model; its {} vision-tower and projector tensors are left out "
              "(llama.cpp's convert_hf_to_gguf.py writes them to a separate mmproj file with --mmproj, which "
              "axolotl export does not write)", cfg.wrapper_architecture.empty() ? cfg.architecture : cfg.wrapper_architecture,
              other_towers);
  }
  std::stable_sort(items.begin(), items.end(), [](const Item& x, const Item& y) {
    return std::tie(x.group, x.layer) < std::tie(y.group, y.layer);
  });
  QuantPlan plan;
  plan.file_type = job.file_type;
  for (const auto& it : items) {
    if (it.gguf.find("attn_v.weight") != std::string::npos || it.gguf.find("attn_qkv.weight") != std::string::npos) {
      ++plan.n_attention_wv;
    }
    if (it.gguf.find("ffn_down") != std::string::npos) ++plan.n_ffn_down;
    if (it.gguf == "output.weight") plan.has_output = true;
  }

  TokenizerOptions topt;
  topt.pre_override = job.tokenizer_pre;
  topt.no_space_prefix = arch.spm_no_space_prefix;
  topt.added_from_tokenizer_json = arch.spm_added_from_tokenizer_json;
  const auto tok = read_tokenizer_metadata(job.tokenizer_dir.empty() ? job.model_dir : job.tokenizer_dir, config_dir,
                                           cfg.vocab_size, topt);
  // convert_hf_to_gguf.py writes the folder's name too; llama.cpp then refuses a "phi3" whose vocabulary
  // is not Phi-3's (tokens_missing_for_name), so such a name is left out (general.name is optional).
  const std::string name = job.name.empty() ? fs::path(job.model_dir).filename().string() : job.name;
  const auto missing = tokens_missing_for_name(name, tok);

  GgufWriter w(job.output);
  w.set("general.architecture", Value::str(a));
  w.set("general.type", Value::str("model"));
  if (missing.empty()) {
    w.set("general.name", Value::str(name));
  } else {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    log::warn("export", "general.name \"{}\" not written: llama.cpp gives a model named like Phi-3 Phi-3's token "
              "attributes and refuses to load it (\"_Map_base::at\") when the vocabulary lacks {}, as this one does",
              name, list);
  }
  for (const auto& note : write_arch_metadata(arch, cfg, cfg_json, job.file_type, w)) {
    log::warn("export", "{}", note);
  }
  write_tokenizer_metadata(tok, w);
  w.set("general.quantization_version", Value::u32(2));

  ExportResult result;
  result.stop_tokens = tok.stop_tokens;
  result.chat_template = tok.chat_template;
  for (auto& t : arch_extra_tensors(arch, cfg)) w.add_tensor(std::move(t));
  // Gemma3Model.modify_tensors: token_embd keeps the tokenizer's rows only ("remove OOV rows").
  const std::string tok_dir = job.tokenizer_dir.empty() ? job.model_dir : job.tokenizer_dir;
  const int64_t vocab_rows = arch.trim_token_embd ? converter_vocab_rows(tok_dir, cfg.vocab_size) : -1;
  const io::ShardedReader* rd = reader.get();
  for (const auto& it : items) {
    const auto ref = reader->at(it.hf);
    std::vector<int64_t> ne(ref.info->shape.rbegin(), ref.info->shape.rend());
    if (it.gguf == "token_embd.weight" && vocab_rows >= 0 && ne.size() == 2 && ne[1] > vocab_rows) {
      log::info("export", "token_embd.weight: {} rows cut to the tokenizer's {} (as convert_hf_to_gguf's Gemma3Model)",
                ne[1], vocab_rows);
      if (vocab_rows < static_cast<int64_t>(tok.tokens.size())) {
        log::warn("export", "token_embd.weight keeps {} rows but the vocabulary lists {} tokens: llama.cpp refuses a "
                  "file whose token_embd has fewer rows than tokens (the converter writes it the same way)",
                  vocab_rows, tok.tokens.size());
      }
      ne[1] = vocab_rows;
    }
    std::string note;
    const GgmlType type = choose_type(it.gguf, ne, plan, &note);
    if (!note.empty()) {
      log::info("export", "{}", note);
      result.fallbacks.push_back(note);
    }
    ++result.types[std::string(type_name(type))];
    int64_t n_head = 0;
    if (arch.permute_qk && ne.size() == 2) {
      if (it.gguf.find(".attn_q.") != std::string::npos) n_head = cfg.num_attention_heads;
      if (it.gguf.find(".attn_k.") != std::string::npos) n_head = cfg.num_key_value_heads;
    }
    const int threads = job.threads;
    size_t keep = 1;
    for (int64_t d : ne) keep *= static_cast<size_t>(d);
    const std::string hf = it.hf, gname = it.gguf;
    // Gemma: every "*norm.weight" + 1 (convert_hf_to_gguf Gemma2Model/Gemma3Model.modify_tensors), added
    // in the checkpoint's dtype as torch does there (a bf16 weight gives bf16(w + 1)).
    const float shift = ends_with(hf, "norm.weight") ? arch.norm_shift : 0.f;
    const io::DType src_dtype = ref.info->dtype;
    w.add_tensor(TensorEntry{gname, ne, type, [rd, hf, gname, ne, type, n_head, threads, shift, src_dtype, keep](uint8_t* dst) {
                               auto data = read_f32(rd->at(hf));
                               data.resize(keep);  // the first rows of a cut token_embd
                               if (shift != 0.f) add_in_dtype(data, shift, src_dtype);
                               const int64_t cols = ne[0];
                               const int64_t rows = static_cast<int64_t>(data.size()) / std::max<int64_t>(cols, 1);
                               if (n_head > 0) permute_qk_rows(data.data(), rows, cols, n_head);  // rows = HF out dim
                               log::debug("export", "{} {} [{} x {}]", gname, type_name(type), cols, rows);
                               convert_rows(type, data.data(), rows, cols, dst, threads);
                             }});
  }
  result.tensors = static_cast<int64_t>(w.tensors().size());
  size_t last_pct = 0;
  result.bytes = w.write([&](size_t i, size_t n) {
    const size_t pct = i * 10 / n;
    if (pct != last_pct) {
      last_pct = pct;
      log::info("export", "{}/{} tensors written", i, n);
    }
  });
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string types;
  for (const auto& [k, v] : result.types) types += (types.empty() ? "" : ", ") + k + " x" + std::to_string(v);
  log::info("export", "wrote {} ({} tensors: {}; {:.1f} MB) in {:.1f} s", job.output, result.tensors, types,
            static_cast<double>(result.bytes) / 1e6, secs);
  return result;
}

}  // namespace axolotl::gguf
