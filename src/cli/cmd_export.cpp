// `axolotl export CONFIG --format gguf|gguf-lora --quant ... --output FILE [--ollama]`: a trained run
// as GGUF for llama.cpp / Ollama. gguf: the merged model (base + the run's adapter, merged by the
// engine into a temporary HF folder first; a full fine-tune's output folder or the base as is);
// gguf-lora: the adapter alone. The GGUF writing itself is torch-free (export/).
#include <unistd.h>

#include <filesystem>

#include "axolotl/cli/command.h"
#include "axolotl/cli/overrides.h"
#include "axolotl/config/loader.h"
#include "axolotl/engine/engine_api.h"
#include "axolotl/export/lora_export.h"
#include "axolotl/export/model_export.h"
#include "axolotl/export/modelfile.h"
#include "axolotl/io/atomic_file.h"
#include "axolotl/io/hub_resolve.h"
#include "axolotl/io/sharded_reader.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::cli {
namespace fs = std::filesystem;
namespace {

struct ExportArgs {
  std::string format = "gguf";
  std::string quant;
  std::string output;
  bool ollama = false;
  int threads = 0;
  std::string tokenizer_pre;
};

std::string base_folder(const config::Config& c) {
  if (c.model.name.empty()) {
    throw UsageError(Diagnostic{{}, "base_model", "no model given", {}, {}, "set base_model to a model folder"});
  }
  if (fs::is_directory(c.model.name)) return c.model.name;
  return io::resolve_model_dir(c.model.name, c.model.revision);
}

// The run's adapter: lora_model_dir, else output_dir when training left one there; "" for none.
std::string adapter_folder(const config::Config& c) {
  if (!c.adapter.model_dir.empty()) return io::resolve_adapter_dir(c.adapter.model_dir);
  if (c.adapter.type != config::AdapterType::kNone && fs::exists(fs::path(c.output.output_dir) / "adapter_config.json")) {
    return c.output.output_dir;
  }
  return {};
}

// Removes a folder on scope exit (the temporary merge).
struct FolderGuard {
  fs::path path;
  ~FolderGuard() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

int run_export(const config::Config& c, const ExportArgs& args, CLI::App* sub) {
  const std::string quant = args.quant.empty() ? (args.format == "gguf" ? "q8_0" : "f16") : args.quant;
  const auto ft = gguf::parse_file_type(quant);
  if (!ft) {
    throw UsageError(Diagnostic{{}, "--quant", "unknown quantization", quant, "f32|f16|bf16|q8_0|q4_0|q4_k_m", {}});
  }
  const fs::path out = fs::absolute(args.output);
  if (!fs::is_directory(out.parent_path())) fs::create_directories(out.parent_path());
  const std::string base = base_folder(c);
  const std::string config_dir = c.model.config_path.empty() ? base : c.model.config_path;
  const std::string adapter = adapter_folder(c);
  std::string chat_template;
  std::vector<std::string> stops;

  if (args.format == "gguf-lora") {
    if (adapter.empty()) {
      throw UsageError(Diagnostic{{}, "adapter", "no adapter to export", c.output.output_dir,
                                  "adapter_config.json in lora_model_dir or output_dir", "train with adapter: lora first"});
    }
    gguf::LoraExportJob job{adapter, config_dir, out.string(), *ft, fs::path(adapter).filename().string()};
    gguf::export_lora(job);
    if (args.ollama) log::warn("export", "--ollama applies to --format gguf (the merged model); no Modelfile written");
    return 0;
  }

  gguf::ModelExportJob job;
  job.output = out.string();
  job.file_type = *ft;
  job.threads = args.threads;
  job.tokenizer_dir = c.tokenizer.path;
  job.tokenizer_pre = args.tokenizer_pre;
  FolderGuard merged;
  if (!adapter.empty()) {
    // Merge base + adapter into a temporary HF folder beside the output (streaming, see merge_folder.h).
    merged.path = out.parent_path() / ("." + out.filename().string() + ".merge-" + std::to_string(::getpid()));
    engine::MergeOptions m;
    m.output_dir = merged.path.string();
    m.force = true;
    log::info("export", "merging {} into {} first", adapter, base);
    engine::load_engine().merge(c, m);
    job.model_dir = merged.path.string();
    job.name = fs::path(c.output.output_dir).filename().string();
  } else if (c.adapter.type == config::AdapterType::kNone && io::ShardedReader::exists(c.output.output_dir) &&
             fs::exists(fs::path(c.output.output_dir) / "config.json")) {
    job.model_dir = c.output.output_dir;  // a full fine-tune's result
  } else {
    job.model_dir = base;
    job.config_dir = c.model.config_path;
    log::info("export", "no adapter found: exporting the base model {}", base);
  }
  if (job.tokenizer_dir.empty()) job.tokenizer_dir = fs::exists(fs::path(job.model_dir) / "tokenizer.model") ||
                                                             fs::exists(fs::path(job.model_dir) / "tokenizer.json")
                                                         ? job.model_dir : base;
  const auto result = gguf::export_model(job);
  if (args.ollama) {
    gguf::ModelfileInput in;
    in.gguf_file = out.string();
    in.chat_template = result.chat_template;
    for (const auto& d : c.data.datasets) in.alpaca = in.alpaca || d.format == config::DatasetFormat::kAlpaca;
    in.stop_tokens = result.stop_tokens;
    in.num_ctx = c.data.sequence_len;
    const auto path = out.parent_path() / "Modelfile";
    io::write_file_atomic(path.string(), gguf::modelfile_text(in));
    const auto family = gguf::template_family(in);
    log::info("export", "wrote {} (template: {})", path.string(), family.empty() ? "none" : family);
  }
  (void)sub;
  return 0;
}

}  // namespace

void add_export_command(CLI::App& app, Dispatch& dispatch) {
  auto* sub = app.add_subcommand("export", "write the trained model (or its adapter) as GGUF for llama.cpp / Ollama");
  auto args = std::make_shared<ConfigArgs>();
  auto opts = std::make_shared<ExportArgs>();
  add_config_args(*sub, *args);
  sub->add_option("--format", opts->format, "gguf (merged model) or gguf-lora (adapter for llama.cpp --lora)")
      ->check(CLI::IsMember({"gguf", "gguf-lora"}));
  sub->add_option("--quant", opts->quant,
                  "f32, f16, bf16, q8_0, q4_0 or q4_k_m (default q8_0; gguf-lora: f32|f16|bf16|q8_0, default f16)");
  sub->add_option("--output", opts->output, "the .gguf file to write")->required();
  sub->add_flag("--ollama", opts->ollama, "also write an Ollama Modelfile beside the file");
  sub->add_option("--threads", opts->threads, "quantization threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  sub->add_option("--tokenizer-pre", opts->tokenizer_pre,
                  "tokenizer.ggml.pre for a BPE tokenizer llama.cpp's hash table does not know (e.g. llama-bpe, qwen2)");
  sub->footer("Examples:\n  axolotl export examples/tiny/config.yml --quant q4_k_m --output outputs/tiny.gguf --ollama\n"
              "  axolotl export examples/tiny/config.yml --format gguf-lora --output outputs/tiny-lora.gguf");
  sub->callback([sub, args, opts, &dispatch] {
    dispatch.run = [sub, args, opts] {
      auto result = config::load_file(args->path, overrides_from(*args, sub->remaining()));
      for (const auto& n : result.notes) log::info("config", "{}", n.str());
      return run_export(result.config, *opts, sub);
    };
  });
}

}  // namespace axolotl::cli
