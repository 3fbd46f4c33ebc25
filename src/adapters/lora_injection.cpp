// Adapter injection into LlamaForCausalLM (PEFT LoraModel semantics, FORMATS.md §3.3).
#include "axolotl/adapters/lora_injection.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "axolotl/adapters/loftq.h"
#include "axolotl/adapters/lora_linear.h"
#include "axolotl/adapters/peft_adapter.h"
#include "axolotl/adapters/quantized_linear.h"
#include "axolotl/io/hub_resolve.h"
#include "axolotl/model/embedding_resize.h"
#include "axolotl/model/family.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::adapters {
namespace {

// Calls fn(full_name, owner_setter, layer) for each projection (the layer's own names: Phi-3's fused
// qkv_proj and gate_up_proj are projections, hence targets, themselves).
template <typename Fn>
void for_each_projection(model::LlamaForCausalLMImpl& m, Fn&& fn) {
  for (int64_t i = 0; i < m.config().num_hidden_layers; ++i) {
    auto& layer = m.layer(i);
    const std::string prefix = "model.layers." + std::to_string(i);
    for (const std::string& name : layer.self_attn->projection_names()) {
      fn(prefix + ".self_attn." + name, layer.self_attn->projection(name),
         [&layer, name](std::shared_ptr<model::LinearLike> l) { layer.self_attn->set_projection(name, std::move(l)); });
    }
    for (const std::string& name : layer.mlp->projection_names()) {
      fn(prefix + ".mlp." + name, layer.mlp->projection(name),
         [&layer, name](std::shared_ptr<model::LinearLike> l) { layer.mlp->set_projection(name, std::move(l)); });
    }
  }
}

// Live tensors of the adapter, keyed as adapter_state documents.
std::map<std::string, torch::Tensor> adapter_params(model::LlamaForCausalLMImpl& m, const AdapterConfig& adapter) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& [name, layer] : projections(m)) {
    if (auto lora = std::dynamic_pointer_cast<LoraLinear>(layer)) {
      const std::string peft = model::peft_name(m.config(), name);  // PEFT's name on the full model
      out[peft + ".lora_A.weight"] = lora->lora_A->weight;
      out[peft + ".lora_B.weight"] = lora->lora_B->weight;
    }
  }
  if (adapter.modules_to_save) {
    for (const auto& item : m.named_modules("", /*include_self=*/false)) {
      const std::string peft = model::peft_name(m.config(), item.key());
      if (!adapter.saves(peft)) continue;
      for (const auto& p : item.value()->named_parameters()) out[peft + "." + p.key()] = p.value();
    }
  }
  if (adapter.save_embedding_layers) {  // frozen tables, keyed as PEFT keys them (no modules_to_save infix)
    out.emplace(model::peft_name(m.config(), "model.embed_tokens") + ".weight", m.model->embed_tokens->weight);
    if (m.lm_head) out.emplace(model::peft_name(m.config(), "lm_head") + ".weight", m.lm_head->weight);
  }
  return out;
}

// PEFT's list matching: the name equals the entry or ends with "." + entry.
bool ends_with_segment(const std::string& name, const std::string& e) {
  return name == e || (name.size() > e.size() && name.compare(name.size() - e.size() - 1, e.size() + 1, "." + e) == 0);
}

std::string joined(const std::vector<std::string>& items, size_t limit = 6) {
  std::string s;
  for (size_t i = 0; i < items.size() && i < limit; ++i) s += (i ? ", " : "") + items[i];
  if (items.size() > limit) s += ", ... (" + std::to_string(items.size()) + " in all)";
  return s;
}

std::string shape_str(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + "]";
}

}  // namespace

std::vector<std::pair<std::string, std::shared_ptr<model::LinearLike>>> projections(model::LlamaForCausalLMImpl& m) {
  std::vector<std::pair<std::string, std::shared_ptr<model::LinearLike>>> out;
  for_each_projection(m, [&](const std::string& name, std::shared_ptr<model::LinearLike> layer, auto&&) {
    out.emplace_back(name, std::move(layer));
  });
  return out;
}

void replace_projection(model::LlamaForCausalLMImpl& m, const std::string& name, std::shared_ptr<model::LinearLike> layer) {
  bool done = false;
  for_each_projection(m, [&](const std::string& n, std::shared_ptr<model::LinearLike>, auto&& set) {
    if (n != name || done) return;
    set(layer);
    done = true;
  });
  if (!done) throw Error(Diagnostic{{}, name, "no such projection in the model", name, "model.layers.N.self_attn.q_proj, ...", {}});
}

namespace {

void check_quantization(const config::QuantizationConfig& quant) {
  if (quant.load_in_4bit && quant.quant_type != "nf4") {
    throw Error(Diagnostic{{}, "bnb_4bit_quant_type", "only NF4 4-bit quantization is implemented",
                           quant.quant_type, "nf4", {}});
  }
  if (quant.load_in_4bit) nf4::check_blocksize(quant.blocksize);
}

}  // namespace

std::shared_ptr<model::LinearLike> quantized(const model::DenseLinear& dense, const config::QuantizationConfig& quant,
                                             torch::ScalarType compute) {
  if (quant.load_in_4bit) return Nf4Linear::from_dense(dense, quant.blocksize, quant.double_quant, compute);
  return Int8Linear::from_dense(dense);
}

int64_t quantize_base(model::LlamaForCausalLMImpl& m, const config::QuantizationConfig& quant) {
  if (!quant.load_in_4bit && !quant.load_in_8bit) return 0;
  check_quantization(quant);
  const auto compute = m.dtype();
  int64_t count = 0;
  for_each_projection(m, [&](const std::string&, std::shared_ptr<model::LinearLike> layer, auto&& set) {
    auto dense = std::dynamic_pointer_cast<model::DenseLinear>(layer);
    if (!dense) return;
    set(quantized(*dense, quant, compute));
    ++count;
  });
  if (count > 0) log::info("adapters", "quantized {} projections to {}", count, quant.load_in_4bit ? "NF4" : "int8");
  return count;
}

model::TensorLoaded quantize_while_loading(model::LlamaForCausalLMImpl& m, const config::QuantizationConfig& quant) {
  if (!quant.load_in_4bit && !quant.load_in_8bit) return {};
  check_quantization(quant);
  // The projection each tensor completes: its bias when it has one (loaded after the weight), else its weight.
  auto last = std::make_shared<std::map<std::string, std::string>>();
  for (const auto& [name, layer] : projections(m)) {
    auto dense = std::dynamic_pointer_cast<model::DenseLinear>(layer);
    if (dense) (*last)[name + (dense->bias.defined() ? ".bias" : ".weight")] = name;
  }
  auto done = std::make_shared<size_t>(0);
  return [&m, quant, last, done](const std::string& tensor) {
    const auto it = last->find(tensor);
    if (it == last->end()) return;
    for_each_projection(m, [&](const std::string& n, std::shared_ptr<model::LinearLike> layer, auto&& set) {
      auto dense = n == it->second ? std::dynamic_pointer_cast<model::DenseLinear>(layer) : nullptr;
      if (dense) set(quantized(*dense, quant, m.dtype()));
    });
    if (++*done == last->size()) {
      log::info("adapters", "quantized {} projections to {} while loading", *done, quant.load_in_4bit ? "NF4" : "int8");
    }
  };
}

InjectionReport inject_lora(model::LlamaForCausalLMImpl& m, const AdapterConfig& adapter) {
  std::vector<Diagnostic> problems;
  for (const auto& entry : adapter.target_modules) {
    if (entry == "lm_head" || entry == "embed_tokens") {
      problems.push_back(Diagnostic{{}, "lora_target_modules", "LoRA on " + entry + " is not supported", entry,
                                    "projections (q_proj ... down_proj)", "train it in full with lora_modules_to_save"});
    }
  }
  InjectionReport report;
  const LoraSpec spec{adapter.r, adapter.lora_alpha, adapter.lora_dropout, adapter.use_rslora};
  std::set<std::string> matched_entries;
  for_each_projection(m, [&](const std::string& own_name, std::shared_ptr<model::LinearLike> layer, auto&& set) {
    const std::string name = model::peft_name(m.config(), own_name);  // targets match PEFT's full-model names
    if (!adapter.targets(name)) return;
    for (const auto& e : adapter.target_modules) {
      if (ends_with_segment(name, e)) matched_entries.insert(e);
    }
    auto lora = std::make_shared<LoraLinear>(std::move(layer), spec);
    lora->lora_A->to(m.device());  // a quantized base without bias has no parameter to take it from
    lora->lora_B->to(m.device());
    lora->train(m.is_training());  // new modules start in training mode: follow the model's (dropout)
    set(std::move(lora));
    report.adapted.push_back(name);
  });
  for (const auto& entry : adapter.target_modules) {
    if (!matched_entries.count(entry) && entry != "lm_head" && entry != "embed_tokens") {
      problems.push_back(Diagnostic{{}, "lora_target_modules", "target module not found in the base model", entry,
                                    "a module name or suffix such as q_proj or self_attn.q_proj", {}});
    }
  }
  if (!adapter.target_regex.empty() && report.adapted.empty()) {
    problems.push_back(Diagnostic{{}, "target_modules", "regex matches no module", adapter.target_regex, {}, {}});
  }
  // modules_to_save: every matching module is trained in full.
  std::set<std::string> saved_entries;
  if (adapter.modules_to_save) {
    for (const auto& item : m.named_modules("", false)) {
      const std::string key = model::peft_name(m.config(), item.key());
      if (!adapter.saves(key)) continue;
      for (const auto& e : *adapter.modules_to_save) {
        if (key.size() >= e.size() && key.compare(key.size() - e.size(), e.size(), e) == 0) saved_entries.insert(e);
      }
      if (item.value()->named_parameters().is_empty()) {
        problems.push_back(Diagnostic{{}, "lora_modules_to_save", "module has no dense parameters to train", key,
                                      {}, "quantized layers cannot be trained in full"});
      }
      report.saved_modules.push_back(key);
    }
    // Tied embeddings: lm_head is embed_tokens here, so [embed_tokens, lm_head] (Axolotl's usual list)
    // trains the one shared table, as PEFT's modules_to_save on a tied model ends up doing.
    const auto& list = *adapter.modules_to_save;
    if (!m.lm_head && saved_entries.count("embed_tokens") && std::find(list.begin(), list.end(), "lm_head") != list.end()) {
      saved_entries.insert("lm_head");
      log::info("adapters", "lora_modules_to_save: lm_head is tied to embed_tokens; training the shared table once");
    }
    for (const auto& e : *adapter.modules_to_save) {
      if (e == "classifier" && m.is_classifier()) continue;  // PEFT's classifier names: "score" is ours
      if (!saved_entries.count(e)) {
        problems.push_back(Diagnostic{{}, "lora_modules_to_save", "module not found in the base model", e,
                                      "embed_tokens or lm_head",
                                      m.lm_head ? "" : "this model ties lm_head to embed_tokens: save embed_tokens"});
      }
    }
  }
  if (!problems.empty()) throw ConfigError(std::move(problems));
  // Trainability: adapter and saved modules only.
  for (auto& p : m.parameters()) p.set_requires_grad(false);
  for (auto& [key, t] : adapter_params(m, adapter)) t.set_requires_grad(true);
  for (const auto& p : m.parameters()) {
    report.total_params += p.numel();
    if (p.requires_grad()) report.trainable_params += p.numel();
  }
  for (const auto& [name, layer] : projections(m)) {
    auto base = layer;
    if (auto lora = std::dynamic_pointer_cast<LoraLinear>(layer)) base = lora->base_layer;
    if (std::dynamic_pointer_cast<Nf4Linear>(base) || std::dynamic_pointer_cast<Int8Linear>(base)) {
      report.total_params += base->in_features() * base->out_features();
    }
  }
  log::info("adapters", "LoRA r={} alpha={} on {} modules; trainable params {} of {} ({:.3f}%)", adapter.r,
            adapter.lora_alpha, report.adapted.size(), report.trainable_params, report.total_params,
            100.0 * report.trainable_params / std::max<int64_t>(1, report.total_params));
  return report;
}

std::map<std::string, torch::Tensor> adapter_state(model::LlamaForCausalLMImpl& m, const AdapterConfig& adapter) {
  std::map<std::string, torch::Tensor> out;
  for (auto& [key, t] : adapter_params(m, adapter)) out[key] = t.detach().to(torch::kCPU).clone();
  return out;
}

void load_adapter_state(model::LlamaForCausalLMImpl& m, const AdapterConfig& adapter,
                        const std::map<std::string, torch::Tensor>& tensors, const std::string& source) {
  auto params = adapter_params(m, adapter);
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& [key, p] : params) {
    auto it = tensors.find(key);
    if (it == tensors.end()) {
      missing.push_back(key);
    } else if (!it->second.sizes().equals(p.sizes())) {
      mismatched.push_back(key + " " + shape_str(it->second) + " vs model " + shape_str(p));
    }
  }
  for (const auto& [key, t] : tensors) {
    if (!params.count(key)) unexpected.push_back(key);
  }
  if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
    std::string found;
    if (!mismatched.empty()) found += "shape mismatches: " + joined(mismatched) + "; ";
    if (!missing.empty()) found += "missing: " + joined(missing) + "; ";
    if (!unexpected.empty()) found += "unexpected: " + joined(unexpected) + "; ";
    found.resize(found.size() - 2);
    throw Error(Diagnostic{Location{source, 0, 0}, {}, "adapter does not fit the model", found,
                           "the tensors of the adapter_config.json targets for this model",
                           "wrong base model? (the adapter was trained on " +
                               (adapter.base_model_name_or_path.empty() ? std::string("an unnamed model")
                                                                        : adapter.base_model_name_or_path) + ")"});
  }
  torch::NoGradGuard no_grad;
  for (auto& [key, p] : params) p.copy_(tensors.at(key).to(p.scalar_type()));
}

namespace {

// lora_target_linear names this model's own linear layers (Axolotl's find_all_linear_names): Phi-3's
// qkv_proj and gate_up_proj instead of the LLaMA seven the config layer filled in.
config::LoraConfig linear_targets_of(model::LlamaForCausalLMImpl& m, const config::LoraConfig& lora) {
  if (!lora.target_linear) return lora;
  config::LoraConfig out = lora;
  out.target_linear = false;
  const auto& llama = llama_linear_names();
  std::vector<std::string> targets;
  for (const auto& t : lora.target_modules) {
    if (std::find(llama.begin(), llama.end(), t) == llama.end()) targets.push_back(t);
  }
  for (const auto& n : model::linear_module_names(m.config())) {
    if (std::find(targets.begin(), targets.end(), n) == targets.end()) targets.push_back(n);
  }
  out.target_modules = targets;
  return out;
}

}  // namespace

AdapterConfig setup_adapters(model::LlamaForCausalLMImpl& m, const config::LoraConfig& lora,
                             const config::QuantizationConfig& quant, const std::string& base_model,
                             InjectionReport* report) {
  config::QuantizationConfig q = quant;
  if (lora.type == config::AdapterType::kQlora && !q.load_in_8bit) q.load_in_4bit = true;
  quantize_base(m, q);
  if (lora.type == config::AdapterType::kNone) {
    AdapterConfig none;
    none.r = 0;
    return none;
  }
  InjectionReport local;
  InjectionReport& r = report ? *report : local;
  if (!lora.model_dir.empty()) {
    // A local folder wins; otherwise lora_model_dir may be a Hub repo id (fetched into the cache).
    AdapterFiles files = read_adapter(io::resolve_adapter_dir(lora.model_dir));
    if (!m.config().wrapper_architecture.empty()) {  // an adapter of the older multimodal spelling
      std::map<std::string, torch::Tensor> respelled;
      for (auto& [key, t] : files.tensors) respelled[model::peft_name(m.config(), model::causal_lm_name(key))] = t;
      files.tensors = std::move(respelled);
    }
    // Full tensors that modules_to_save does not name (absent key, or embeddings PEFT saved on its
    // own with save_embedding_layers): their modules are saved modules too.
    for (const auto& [key, t] : files.tensors) {
      if (key.find(".lora_") != std::string::npos) continue;
      const std::string module = key.substr(0, key.rfind('.'));
      if (files.config.saves(module)) continue;
      if (!files.config.modules_to_save) files.config.modules_to_save.emplace();
      files.config.modules_to_save->push_back(module.substr(module.rfind('.') + 1));
      log::info("adapters", "{}: {} is stored in full; treating it as a module to save", lora.model_dir, module);
    }
    // An adapter trained with added tokens carries the grown embedding (and lm_head): grow the base
    // to its rows first; the adapter's tensors then overwrite them.
    if (auto it = files.tensors.find(model::peft_name(m.config(), "model.embed_tokens.weight"));
        it != files.tensors.end() && it->second.dim() == 2) {
      model::resize_token_embeddings(m, it->second.size(0), 0);
    }
    r = inject_lora(m, files.config);
    if (files.config.loftq_bits > 0) apply_loftq(m, files.config.loftq_bits, false);  // PEFT redoes Q on load
    load_adapter_state(m, files.config, files.tensors, lora.model_dir);
    log::info("adapters", "loaded adapter {} ({} tensors)", lora.model_dir, files.tensors.size());
    return files.config;
  }
  AdapterConfig adapter = adapter_config_from(linear_targets_of(m, lora), base_model);
  if (m.is_classifier()) {
    // PeftModelFor{Sequence,Token}Classification: the task type, and the head trained in full under
    // PEFT's two classifier names (modules_to_save extended with ["classifier", "score"]).
    adapter.task_type = m.config().token_classifier ? "TOKEN_CLS" : "SEQ_CLS";
    auto saved = adapter.modules_to_save.value_or(std::vector<std::string>{});
    for (const char* name : {"classifier", "score"}) {
      if (std::find(saved.begin(), saved.end(), name) == saved.end()) saved.push_back(name);
    }
    adapter.modules_to_save = saved;
  }
  r = inject_lora(m, adapter);
  if (adapter.loftq_bits > 0) apply_loftq(m, adapter.loftq_bits, true);
  return adapter;
}

void save_adapter(const std::string& dir, model::LlamaForCausalLMImpl& m, const AdapterConfig& adapter) {
  write_adapter(dir, adapter, adapter_state(m, adapter));
}

}  // namespace axolotl::adapters
