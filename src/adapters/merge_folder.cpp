// Streaming LoRA merge of a HF folder (see merge_folder.h; FORMATS.md §1.5 shards, §3.4 merge).
#include "axolotl/adapters/merge_folder.h"

#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "axolotl/adapters/folder_rewrite.h"
#include "axolotl/adapters/loftq.h"
#include "axolotl/adapters/lora_merge.h"
#include "axolotl/adapters/peft_adapter.h"
#include "axolotl/adapters/tensor_io.h"
#include "axolotl/io/atomic_file.h"
#include "axolotl/io/safetensors.h"
#include "axolotl/io/sharded_writer.h"
#include "axolotl/model/family.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::adapters {
namespace fs = std::filesystem;

namespace {

const char* const kTokenizerFiles[] = {"tokenizer.model",         "tokenizer.json",    "tokenizer_config.json",
                                       "special_tokens_map.json", "added_tokens.json", "chat_template.jinja"};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(Diagnostic{Location{path.string(), 0, 0}, {}, "cannot read file", {}, {}, {}});
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json read_json(const fs::path& path) {
  try {
    return nlohmann::json::parse(read_text(path));
  } catch (const nlohmann::json::exception& e) {
    throw IoError(Diagnostic{Location{path.string(), 0, 0}, {}, "not valid JSON", e.what(), {}, {}});
  }
}

// The adapter split into LoRA pairs per module and full tensors of modules_to_save.
struct AdapterParts {
  std::string task_type;  // adapter_config.json's (SEQ_CLS / TOKEN_CLS for reward models)
  int loftq_bits = 0;  // a LoftQ adapter applies to the quantized form of each adapted weight (loftq.h)
  struct Pair {
    torch::Tensor a, b;  // (r, in), (out, r)
  };
  std::map<std::string, Pair> lora;             // "<module>.weight" -> pair
  std::map<std::string, torch::Tensor> saved;  // full tensor name -> tensor
  double scaling = 1.0;
};

AdapterParts split_adapter(AdapterFiles files) {
  AdapterParts parts;
  parts.scaling = files.config.scaling();
  parts.loftq_bits = files.config.loftq_bits;
  parts.task_type = files.config.task_type;
  for (auto& [key, t] : files.tensors) {
    if (ends_with(key, ".lora_A.weight")) {
      parts.lora[key.substr(0, key.size() - 14) + ".weight"].a = t;
    } else if (ends_with(key, ".lora_B.weight")) {
      parts.lora[key.substr(0, key.size() - 14) + ".weight"].b = t;
    } else {
      parts.saved[key] = t;
    }
  }
  return parts;
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// An embedding or lm_head of the adapter with more rows than the base's (tokens were added in
// training, embedding_resize.h): it replaces the base's table whole.
bool grown_table(const std::string& name, const std::vector<int64_t>& base_shape, const torch::Tensor& t) {
  const std::string own = model::causal_lm_name(name);  // a multimodal base spells its text tower its way
  const bool table = own == "model.embed_tokens.weight" || own == "lm_head.weight";
  return table && base_shape.size() == 2 && t.dim() == 2 && t.size(1) == base_shape[1] && t.size(0) > base_shape[0];
}

// The rows of the merged vocabulary: the adapter's grown embedding, else none (0: keep config.json's).
int64_t grown_rows(const AdapterParts& parts) {
  for (const auto& [name, t] : parts.saved) {
    if (model::causal_lm_name(name) == "model.embed_tokens.weight") return t.dim() != 2 ? 0 : t.size(0);
  }
  return 0;
}

// The adapter's names in the base's spelling: PEFT on current transformers names a multimodal
// Gemma-3's text tower model.language_model.*, its Hub checkpoints mostly language_model.model.*
// (family.h); either adapter spelling merges into either checkpoint, every name kept as the base has it.
template <typename T>
void respell_for_base(std::map<std::string, T>& by_name, const std::map<std::string, io::TensorInfo>& base) {
  std::map<std::string, T> out;
  for (auto& [name, value] : by_name) {
    std::string spelled = name;
    if (!base.count(name)) {
      const std::string own = model::causal_lm_name(name);
      for (auto layout : {model::TowerLayout::kCausalLm, model::TowerLayout::kLegacy, model::TowerLayout::kCurrent}) {
        if (base.count(model::tower_name(own, layout))) {
          spelled = model::tower_name(own, layout);
          break;
        }
      }
    }
    out[spelled] = std::move(value);
  }
  by_name = std::move(out);
}

// Checks the adapter against the base's tensor headers; one Error listing every problem.
void check_fit(const AdapterParts& parts, const std::map<std::string, io::TensorInfo>& base, const std::string& adapter_dir) {
  std::vector<std::string> problems;
  for (const auto& [name, pair] : parts.lora) {
    const std::string module = name.substr(0, name.size() - 7);
    if (!pair.a.defined() || !pair.b.defined()) {
      problems.push_back(module + ": lora_" + std::string(pair.a.defined() ? "B" : "A") + " missing");
      continue;
    }
    auto it = base.find(name);
    if (it == base.end()) {
      problems.push_back(module + ": no " + name + " in the base model");
      continue;
    }
    const auto& shape = it->second.shape;
    if (shape.size() != 2 || pair.a.dim() != 2 || pair.b.dim() != 2 || pair.a.size(1) != shape[1] ||
        pair.b.size(0) != shape[0] || pair.a.size(0) != pair.b.size(1)) {
      problems.push_back(module + ": A " + shape_str(pair.a.sizes().vec()) + ", B " + shape_str(pair.b.sizes().vec()) +
                         " do not fit base weight " + shape_str(shape));
    }
  }
  for (const auto& [name, t] : parts.saved) {
    auto it = base.find(name);
    if (it == base.end()) {
      problems.push_back(name + ": not in the base model");
    } else if (grown_table(name, it->second.shape, t)) {
      continue;
    } else if (it->second.shape != t.sizes().vec()) {
      problems.push_back(name + ": " + shape_str(t.sizes().vec()) + " vs base " + shape_str(it->second.shape));
    }
  }
  if (problems.empty()) return;
  std::string found;
  for (size_t i = 0; i < problems.size() && i < 8; ++i) found += (i ? "; " : "") + problems[i];
  if (problems.size() > 8) found += "; ... (" + std::to_string(problems.size()) + " in all)";
  throw Error(Diagnostic{Location{adapter_dir, 0, 0}, {}, "adapter does not fit the base model", found, {},
                         "wrong base model?"});
}

// Removes the temporary output folder unless released.
struct TempFolder {
  fs::path path;
  bool keep = false;
  ~TempFolder() {
    std::error_code ec;
    if (!keep) fs::remove_all(path, ec);
  }
};

fs::path config_path(const MergeJob& job) {
  return fs::path(job.config_dir.empty() ? job.base_dir : job.config_dir) / "config.json";
}

// The base's own dtype: config.json "torch_dtype" (transformers >= 4.56 also writes "dtype").
std::optional<torch::ScalarType> base_dtype(const nlohmann::json& config) {
  for (const char* key : {"torch_dtype", "dtype"}) {
    if (!config.contains(key) || !config[key].is_string()) continue;
    const std::string name = config[key].get<std::string>();
    if (name == "float32") return torch::kFloat32;
    if (name == "bfloat16") return torch::kBFloat16;
    if (name == "float16") return torch::kFloat16;
  }
  return std::nullopt;
}

// `labels` > 0: the folder of a merged reward model (MergeJob::classifier_pad_id); `token`: a token classifier.
void write_side_files(const MergeJob& job, std::optional<torch::ScalarType> dtype, int64_t vocab_rows,
                      const fs::path& tmp, int64_t labels, bool token) {
  auto config = rewritten_config(model::with_config_overrides(read_json(config_path(job)), job.config_overrides),
                                 dtype, vocab_rows);
  if (labels > 0) {  // PretrainedConfig.to_dict of the classifier: its class, LABEL_i names, the pad id
    const std::string arch = config.value("architectures", nlohmann::json::array({""})).at(0).get<std::string>();
    config["architectures"] = {model::classifier_of(arch, token)};
    nlohmann::json id2label = nlohmann::json::object(), label2id = nlohmann::json::object();
    for (int64_t i = 0; i < labels; ++i) {
      id2label[std::to_string(i)] = "LABEL_" + std::to_string(i);
      label2id["LABEL_" + std::to_string(i)] = i;
    }
    config["id2label"] = id2label;
    config["label2id"] = label2id;
    config["pad_token_id"] = *job.classifier_pad_id;
  }
  io::write_file_atomic((tmp / "config.json").string(), config.dump(2) + "\n");
  if (job.write_tokenizer) job.write_tokenizer(tmp.string());
  for (const char* name : kTokenizerFiles) {
    if (job.write_tokenizer) break;
    for (const auto& dir : {job.tokenizer_dir, job.base_dir}) {
      if (!dir.empty() && fs::is_regular_file(fs::path(dir) / name)) {
        fs::copy_file(fs::path(dir) / name, tmp / name, fs::copy_options::overwrite_existing);
        break;
      }
    }
  }
  if (labels > 0) return;  // save_pretrained writes generation_config.json only for models that generate
  io::write_file_atomic((tmp / "generation_config.json").string(), generation_config_for(job.base_dir, config).dump(2) + "\n");
}

}  // namespace

std::vector<std::string> weight_files(const std::string& dir) {
  const fs::path folder(dir);
  if (fs::is_regular_file(folder / "model.safetensors")) return {(folder / "model.safetensors").string()};
  const fs::path index = folder / "model.safetensors.index.json";
  if (!fs::is_regular_file(index)) {
    throw IoError(Diagnostic{Location{dir, 0, 0}, {}, "no safetensors weights in the base model folder", {}, {},
                             "a Hugging Face folder needs model.safetensors or model.safetensors.index.json"});
  }
  const auto j = read_json(index);
  if (!j.contains("weight_map") || !j["weight_map"].is_object()) {
    throw IoError(Diagnostic{Location{index.string(), 0, 0}, "weight_map", "index has no weight_map", {}, {}, {}});
  }
  std::set<std::string> names;
  for (const auto& [tensor, file] : j["weight_map"].items()) {
    if (!file.is_string()) throw IoError(Diagnostic{Location{index.string(), 0, 0}, tensor, "shard name is not a string", file.dump(), {}, {}});
    names.insert(file.get<std::string>());
  }
  std::vector<std::string> out;
  for (const auto& n : names) out.push_back((folder / n).string());
  return out;
}

// The output must never be or contain an input: replacing it (--force) would destroy the base model or
// the adapter being merged. It may not lie inside base_model either; inside lora_model_dir is allowed,
// since that is where Python Axolotl itself merges to (output_dir/merged), and --force replaces only
// the output folder. Paths are compared after resolving symlinks.
void check_output_apart(const MergeJob& job) {
  auto resolved = [](const std::string& p) {
    std::error_code ec;
    const fs::path r = fs::weakly_canonical(fs::absolute(p), ec);
    return ec ? fs::absolute(p).lexically_normal() : r;
  };
  auto inside = [](const fs::path& a, const fs::path& b) {  // a is b or lies under it
    auto ai = a.begin(), bi = b.begin();
    for (; bi != b.end() && !bi->empty(); ++ai, ++bi)
      if (ai == a.end() || *ai != *bi) return false;
    return true;
  };
  const fs::path out = resolved(job.output_dir);
  struct Input {
    const char* key;
    std::string dir;
    bool output_may_lie_inside;
  };
  for (const Input& input : {Input{"base_model", job.base_dir, false}, Input{"lora_model_dir", job.adapter_dir, true}}) {
    if (input.dir.empty()) continue;
    const fs::path in = resolved(input.dir);
    const std::string key = input.key;
    if (inside(in, out) || (inside(out, in) && !(input.output_may_lie_inside && out != in))) {
      throw UsageError(Diagnostic{Location{job.output_dir, 0, 0}, "--output",
                                  "the output folder overlaps the merge's input " + key, in.string(),
                                  "a folder apart from base_model and lora_model_dir",
                                  "writing there would replace the files being read (with --force too); choose another folder"});
    }
  }
}

MergeResult merge_folder(const MergeJob& job) {
  check_output_apart(job);
  const fs::path out(job.output_dir);
  if (fs::exists(out) && (!fs::is_directory(out) || !fs::is_empty(out)) && !job.force) {
    throw UsageError(Diagnostic{Location{job.output_dir, 0, 0}, "--output", "output folder exists and is not empty", {}, {},
                                "choose another folder or pass --force to replace it"});
  }
#ifdef __GLIBC__
  // A fixed mmap threshold: glibc otherwise raises it to the size of each freed block (up to 32 MB),
  // so the per-tensor temporaries land in the heap and fragment it; measured peak RSS on a 374 MB
  // model in 50 MB shards: 410 MB with the default, 257 MB with this (LibTorch alone: ~190 MB).
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
  AdapterParts parts = split_adapter(read_adapter(job.adapter_dir));
  const auto files = weight_files(job.base_dir);
  std::map<std::string, io::TensorInfo> base;  // headers only: mapping is lazy, nothing is read
  for (const auto& path : files) {
    const auto file = io::SafetensorsFile::open(path);
    for (const auto& info : file->tensors()) base[info.name] = info;
  }
  respell_for_base(parts.lora, base);
  respell_for_base(parts.saved, base);
  // A reward-model adapter on a causal-LM base: the score head joins and lm_head leaves (transformers'
  // *ForSequenceClassification / *ForTokenClassification have no lm_head).
  std::map<std::string, torch::Tensor> head;
  if (parts.saved.count("score.weight") && !base.count("score.weight")) {
    if (!job.classifier_pad_id) {
      throw Error(Diagnostic{Location{job.adapter_dir, 0, 0}, "lora_model_dir",
                             "a reward-model adapter merges only with the reward model's settings",
                             "an adapter with score.weight (task_type " + parts.task_type + ")",
                             "reward_model or process_reward_model: true in the merge's config",
                             "merge with the config the reward model was trained with"});
    }
    for (const char* name : {"score.weight", "score.bias"}) {
      if (auto it = parts.saved.find(name); it != parts.saved.end()) {
        head[name] = it->second;
        parts.saved.erase(it);
      }
    }
  }
  check_fit(parts, base, job.adapter_dir);
  const std::optional<torch::ScalarType> target = job.dtype ? job.dtype : base_dtype(read_json(config_path(job)));

  const fs::path parent = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  fs::create_directories(parent);
  TempFolder tmp{parent / ("." + out.filename().string() + ".tmp-" + std::to_string(::getpid()))};
  fs::remove_all(tmp.path);
  fs::create_directories(tmp.path);

  MergeResult result;
  io::ShardedWriter writer(tmp.path.string(), job.max_shard_bytes);
  // The adapted weights merged, modules_to_save replaced, every other tensor as the base has it.
  result.tensors = rewrite_tensors(files, writer, target, [&](const std::shared_ptr<io::SafetensorsFile>& file,
                                                              const io::TensorInfo& info, torch::ScalarType out_dtype)
                                                              -> std::optional<io::TensorSource> {
    if (!head.empty() && model::causal_lm_name(info.name) == "lm_head.weight") return io::TensorSource{};  // dropped
    auto lora = parts.lora.find(info.name);
    auto saved = parts.saved.find(info.name);
    if (lora == parts.lora.end() && saved == parts.saved.end()) return std::nullopt;
    torch::ScalarType in_dtype;
    const bool known = torch_dtype_of(info.dtype, &in_dtype);
    io::TensorSource src{info.name, known ? io_dtype_of(out_dtype) : info.dtype, info.shape, {}};
    if (lora != parts.lora.end()) {
      const size_t nbytes = static_cast<size_t>(src.nbytes());
      const auto a = lora->second.a, b = lora->second.b;
      const double scaling = parts.scaling;
      const int loftq = parts.loftq_bits;
      src.fill = [file, info, a, b, scaling, loftq, out_dtype, nbytes](uint8_t* dst) {
        torch::Tensor base = view_tensor(*file, info);  // (out, in)
        if (loftq > 0) base = loftq_base(base, loftq).to(base.scalar_type());  // as PEFT's load redoes it
        const auto merged = merge_lora_weight(base, a, b, scaling, out_dtype).contiguous();
        std::memcpy(dst, merged.data_ptr(), nbytes);
      };
      ++result.merged;
      return src;
    }
    const auto t = saved->second;
    src.shape = t.sizes().vec();  // a grown embedding has more rows than the base's
    const size_t saved_bytes = static_cast<size_t>(src.nbytes());
    src.fill = [t, out_dtype, saved_bytes](uint8_t* dst) {
      std::memcpy(dst, t.to(out_dtype).contiguous().data_ptr(), saved_bytes);
    };
    ++result.replaced;
    return src;
  });
  for (const auto& [name, t] : head) {  // score.bias, score.weight
    const auto out_t = target ? t.to(*target) : t;
    writer.add(tensor_source(name, out_t));
    ++result.tensors;
    ++result.replaced;
  }
  result.files = writer.finish();
  result.bytes = writer.total_bytes();
  const bool token = parts.task_type == "TOKEN_CLS" || (parts.task_type.empty() && head.count("score.bias") > 0);
  write_side_files(job, target, grown_rows(parts), tmp.path, head.empty() ? 0 : head.at("score.weight").size(0), token);
  if (target) result.dtype = config_dtype_name(*target);

  // Swap into place: an old output (with --force) is moved aside first and removed after.
  const fs::path old = parent / ("." + out.filename().string() + ".old-" + std::to_string(::getpid()));
  const bool had_old = fs::exists(out);
  if (had_old) fs::rename(out, old);
  fs::rename(tmp.path, out);
  tmp.keep = true;
  io::sync_directory(parent.string());
  if (had_old) fs::remove_all(old);
  log::info("adapters", "merged {} of {} tensors ({} replaced by modules_to_save) into {} ({} files, {} bytes)",
            result.merged, result.tensors, result.replaced, job.output_dir, result.files.size(), result.bytes);
  log::info("adapters", "wrote the weights as {} ({}; merged in float32)",
            target ? result.dtype : std::string("each tensor's own dtype"),
            job.dtype ? "--dtype" : target ? "the base's torch_dtype" : "config.json names no torch_dtype");
  return result;
}

}  // namespace axolotl::adapters
