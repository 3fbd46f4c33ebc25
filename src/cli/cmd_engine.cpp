// `train`, `merge`, `inference` and `create-tiny`: parse here, run in the LibTorch engine.
#include "axolotl/cli/command.h"
#include "axolotl/cli/model_checks.h"
#include "axolotl/cli/overrides.h"
#include "axolotl/config/loader.h"
#include "axolotl/engine/engine_api.h"
#include "axolotl/train/launcher.h"
#include "axolotl/util/log.h"
#include "axolotl/util/runtime_env.h"

#include <cstdlib>

namespace axolotl::cli {
namespace {

config::Config load_logged(CLI::App* sub, const ConfigArgs& args) {
  auto result = config::load_file(args.path, overrides_from(args, sub->remaining()));
  for (const auto& n : result.notes) log::warn("config", "{}", n.str());
  return std::move(result.config);
}

}  // namespace

void add_train_command(CLI::App& app, Dispatch& dispatch) {
  auto* sub = app.add_subcommand("train", "fine-tune a model (LoRA, QLoRA or full) as the config says");
  auto args = std::make_shared<ConfigArgs>();
  auto options = std::make_shared<engine::TrainOptions>();
  add_config_args(*sub, *args);
  sub->add_option("--nproc-per-node", options->nproc_per_node, "local worker processes (data parallel)")
      ->check(CLI::PositiveNumber);
  sub->footer("Example:\n  axolotl train examples/tiny/config.yml --num-epochs 2");
  sub->callback([sub, args, options, &dispatch] {
    dispatch.run = [sub, args, options] {
      auto config = load_logged(sub, *args);  // a bad config fails here once, not in every worker
      require_model_side(config, true);           // before any dataset is read
      if (options->nproc_per_node > 1 && std::getenv("RANK") == nullptr) {
        // The launcher re-runs this command line without the option in N workers (RANK set), so
        // this process never loads LibTorch.
        auto argv = train::without_option(train::current_command_line(), "--nproc-per-node");
        return train::launch_local_workers(argv, options->nproc_per_node);
      }
      if (options->nproc_per_node > 1) {
        log::warn("train", "RANK is already set (torchrun?): ignoring --nproc-per-node {}", options->nproc_per_node);
      }
      // Quantized bases are chosen for memory: large freed buffers (dequantized weights, activations)
      // go back to the OS. Otherwise training keeps them for speed.
      if (!config.quantization.load_in_4bit && !config.quantization.load_in_8bit &&
          config.adapter.type != config::AdapterType::kQlora) {
        util::keep_freed_memory();
      } else {
        util::return_freed_memory();
      }
      return engine::load_engine().train(config, *options);
    };
  });
}

void add_merge_command(CLI::App& app, Dispatch& dispatch) {
  auto* sub = app.add_subcommand("merge", "fold a LoRA adapter into the base model and write a HF folder");
  sub->alias("merge-lora");  // Python Axolotl's spelling
  auto args = std::make_shared<ConfigArgs>();
  auto options = std::make_shared<engine::MergeOptions>();
  add_config_args(*sub, *args);
  sub->add_option("--output", options->output_dir, "output folder")->required();
  sub->add_flag("--force", options->force, "replace a non-empty output folder");
  sub->add_option("--max-shard-size", options->max_shard_bytes, "bytes per safetensors shard");
  sub->add_option("--dtype", options->dtype,
                  "dtype of the merged weights (default: the base checkpoint's torch_dtype; merging is in float32)")
      ->check(CLI::IsMember(std::vector<std::string>{"float32", "bfloat16", "float16", "fp32", "bf16", "fp16"}));
  sub->footer("Example:\n  axolotl merge examples/tiny/config.yml --output outputs/tiny-merged");
  sub->callback([sub, args, options, &dispatch] {
    dispatch.run = [sub, args, options] { return engine::load_engine().merge(load_logged(sub, *args), *options); };
  });
}

void add_inference_command(CLI::App& app, Dispatch& dispatch) {
  auto* sub = app.add_subcommand("inference", "generate text from the model (and adapter) of a config");
  auto args = std::make_shared<ConfigArgs>();
  auto options = std::make_shared<engine::InferenceOptions>();
  add_config_args(*sub, *args);
  sub->add_option("--prompt", options->prompts, "prompt text (repeatable); without it, one prompt per stdin line");
  sub->add_option("--max-new-tokens", options->max_new_tokens, "tokens to generate")->check(CLI::NonNegativeNumber);
  sub->add_option("--temperature", options->temperature, "0 = greedy")->check(CLI::NonNegativeNumber);
  sub->add_option("--top-k", options->top_k, "sample among the k likeliest tokens (0 = off)");
  sub->add_option("--top-p", options->top_p, "nucleus sampling mass (1 = off)")->check(CLI::Range(0.0, 1.0));
  sub->add_option("--repetition-penalty", options->repetition_penalty, "1 = off");
  sub->add_option("--seed", options->seed, "sampling seed");
  sub->add_option("--template", options->template_name,
                  "format prompts as in training: alpaca, or any chat_template name (chatml, llama3, tokenizer_default, ...)");
  sub->add_flag("--chat", options->chat,
                "multi-turn chat with the chat template (config chat_template unless --template): one reply line per "
                "input line, stopping at EOS or eot_tokens");
  sub->add_option("--chat-template-kwargs", options->chat_template_kwargs,
                  "chat template variables as a JSON object, over the config's chat_template_kwargs "
                  "(e.g. '{\"enable_thinking\": false}')");
  auto* think = sub->add_flag_callback("--enable-thinking", [options] { options->enable_thinking = true; },
                                       "set the template's enable_thinking to true (Qwen3: think before answering)");
  auto* no_think = sub->add_flag_callback("--no-enable-thinking", [options] { options->enable_thinking = false; },
                                          "set enable_thinking to false (Qwen3: an empty <think></think> block)");
  think->excludes(no_think);
  sub->footer("Example:\n  axolotl inference examples/tiny/config.yml --prompt \"Once upon a time\"");
  sub->callback([sub, args, options, &dispatch] {
    dispatch.run = [sub, args, options] {
      options->prompts_from_stdin = options->prompts.empty();
      return engine::load_engine().inference(load_logged(sub, *args), *options);
    };
  });
}

void add_evaluate_command(CLI::App& app, Dispatch& dispatch) {
  auto* sub = app.add_subcommand("evaluate", "loss and perplexity on the eval split or test_datasets, no training");
  auto args = std::make_shared<ConfigArgs>();
  add_config_args(*sub, *args);
  sub->footer("Evaluates the config's model with its adapter (lora_model_dir, else the one in output_dir).\n"
              "Example:\n  axolotl evaluate examples/tiny/config.yml");
  sub->callback([sub, args, &dispatch] {
    dispatch.run = [sub, args] {
      auto config = load_logged(sub, *args);
      require_model_side(config, true);
      return engine::load_engine().evaluate(config);
    };
  });
}

void add_create_tiny_command(CLI::App& app, Dispatch& dispatch) {
  auto* sub = app.add_subcommand("create-tiny", "create the small offline LLaMA model of the bundled example");
  auto options = std::make_shared<engine::TinyModelOptions>();
  sub->add_option("--output", options->output_dir, "folder for the model")->required();
  auto* corpus = sub->add_option("--corpus", options->corpus_path, "text file to train the tokenizer on");
  auto* tokenizer = sub->add_option("--tokenizer", options->tokenizer_dir,
                                    "copy this tokenizer folder (tokenizer.json or tokenizer.model) instead");
  corpus->excludes(tokenizer);
  sub->add_flag("--force", options->force, "replace an existing folder");
  sub->add_option("--seed", options->seed, "initialisation seed");
  sub->add_option("--family", options->family,
                  "architecture of the model: llama (default), mistral, qwen2, qwen3, gemma2, gemma3 or phi3");
  sub->add_option("--intermediate-size", options->intermediate_size,
                  "MLP width (default 344); e.g. 384 or 512 so QAT groups and fp4 blocks divide every layer")
      ->check(CLI::PositiveNumber);
  sub->footer("Examples:\n"
              "  axolotl create-tiny --output outputs/tiny-model --corpus examples/tiny/corpus.txt\n"
              "  axolotl create-tiny --output outputs/tiny-qwen3 --family qwen3 --tokenizer ./Qwen3-0.6B\n"
              "Then point a config's base_model at the folder (examples/tiny/config.yml uses outputs/tiny-model).");
  sub->callback([options, &dispatch] {
    if (options->corpus_path.empty() && options->tokenizer_dir.empty()) {
      throw CLI::ValidationError("give --corpus (train a tokenizer) or --tokenizer (copy one)");
    }
    dispatch.run = [options] { return engine::load_engine().create_tiny_model(*options); };
  });
}

}  // namespace axolotl::cli
