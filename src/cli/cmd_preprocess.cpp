// `axolotl preprocess CONFIG [--debug N] [--dump FILE]`: tokenizes, masks and caches the datasets
// (torch-free), showing progress, then prints statistics; --debug shows rows with trained and
// masked tokens told apart; --dump writes every training row as JSONL.
#include <unistd.h>

#include <chrono>
#include <iostream>

#include "axolotl/cli/command.h"
#include "axolotl/cli/overrides.h"
#include "axolotl/config/loader.h"
#include "axolotl/data/dataset_report.h"
#include "axolotl/data/prepared_cache.h"
#include "axolotl/data/pretrain_batches.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"
#include "axolotl/util/terminal.h"

namespace axolotl::cli {

namespace {

struct PreprocessArgs {
  int debug_rows = 0;
  std::string dump;
};

// Rate and ETA: a redrawn line on a terminal, a line every 5 s otherwise (both on stderr).
class ProgressPrinter {
 public:
  void operator()(const data::BuildProgress& p) {
    bool tty = ::isatty(STDERR_FILENO) != 0;
    double since = p.seconds - last_;
    if (!tty && since < 5.0) return;
    if (tty && since < 0.2) return;
    last_ = p.seconds;
    double secs = std::max(p.seconds, 1e-6);
    double frac = p.bytes_total ? static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total) : 0.0;
    double eta = frac > 0 ? p.seconds * (1.0 - frac) / frac : 0.0;
    std::string line = fmt::format("[data] {:.0f}% {} records, {:.0f} rows/s, {:.0f} tokens/s, ETA {:.0f}s", 100 * frac,
                                   p.records, p.records / secs, p.tokens / secs, eta);
    if (tty) {
      std::cerr << "\r" << line << "\x1b[K" << std::flush;
      drew_ = true;
    } else {
      std::cerr << line << "\n";
    }
  }
  void finish() {
    if (drew_) std::cerr << "\n";
  }

 private:
  double last_ = 0.0;
  bool drew_ = false;
};

int run_preprocess(const std::string& path, const std::vector<std::string>& overrides, const PreprocessArgs& pa) {
  auto loaded = config::load_file(path, overrides);
  const config::Config& cfg = loaded.config;
  std::string tok_path = cfg.tokenizer.path.empty() ? cfg.model.name : cfg.tokenizer.path;
  if (tok_path.empty()) {
    Diagnostic d;
    d.key = "tokenizer";
    d.message = "no tokenizer: set base_model (a local folder) or tokenizer_config";
    throw ConfigError({d});
  }
  if (cfg.data.pretrain.enabled()) {  // as Axolotl: nothing is prepared; the files are found (and fetched) only
    const auto files = data::pretrain_files(cfg.data.pretrain.datasets.front());
    std::cout << "pretraining_dataset is streamed by train, not prepared: " << files.size() << " file(s) of "
              << cfg.data.pretrain.datasets.front().path << "\n";
    return 0;
  }
  auto tokenizer = data::Tokenizer::load(tok_path, cfg.tokenizer);
  ProgressPrinter progress;
  data::BuildOptions opt;
  opt.seed = cfg.training.seed;
  opt.tokenizer_dir = tok_path;
  opt.on_progress = [&progress](const data::BuildProgress& p) { progress(p); };
  bool reused = false;
  std::string folder;
  auto start = std::chrono::steady_clock::now();
  data::PreparedData prepared = data::prepare(cfg.data, cfg.tokenizer, *tokenizer, opt, &reused, &folder);
  progress.finish();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::cout << "prepared dataset: " << folder
            << (reused ? " (reused; built earlier)\n"
                       : fmt::format(" (built in {:.2f}s, {:.0f} tokens/s)\n", secs,
                                     static_cast<double>(prepared.stats.tokens) / std::max(secs, 1e-9)));
  const auto stats_start = std::chrono::steady_clock::now();
  std::cout << data::format_stats(prepared, cfg.data.sequence_len);
  log::debug("data", "statistics in {:.3f} s",
             std::chrono::duration<double>(std::chrono::steady_clock::now() - stats_start).count());
  if (prepared.stats.without_trained_eos) {
    log::warn("data", "{} rows train no EOS token: the model will not learn to stop (see the example above)",
              prepared.stats.without_trained_eos);
  }
  bool ansi = colour_allowed(STDOUT_FILENO);  // NO_COLOR honoured
  for (int i = 0; i < pa.debug_rows && static_cast<size_t>(i) < prepared.train.size(); ++i) {
    std::cout << "--- row " << i << " (" << prepared.train.length(i) << " tokens, "
              << prepared.train.trained_tokens(i) << " trained)\n"
              << data::render_row(prepared.train.row(i), *tokenizer, ansi) << "\n"
              << data::render_row_tokens(prepared.train.row(i), *tokenizer, ansi) << "\n";
  }
  if (!pa.dump.empty()) {
    data::dump_rows(prepared.train, pa.dump);
    std::cout << "wrote " << prepared.train.size() << " rows to " << pa.dump << "\n";
  }
  return 0;
}

}  // namespace

void add_preprocess_command(CLI::App& app, Dispatch& dispatch) {
  auto* sub = app.add_subcommand("preprocess", "tokenize, mask and cache the datasets of a config");
  auto args = std::make_shared<ConfigArgs>();
  auto pa = std::make_shared<PreprocessArgs>();
  add_config_args(*sub, *args);
  sub->add_option("--debug", pa->debug_rows,
                  "show N training rows (bare --debug: 3) with trained and masked tokens told apart, and each "
                  "token with (label, id) as Axolotl's debug view")
      ->expected(0, 1)
      ->default_str("3");
  sub->add_option("--dump", pa->dump, "write every training row as JSONL {\"input_ids\", \"labels\"}");
  sub->footer("Example:\n  axolotl preprocess examples/tiny/config.yml --debug 2");
  sub->callback([sub, args, pa, &dispatch] {
    dispatch.run = [sub, args, pa]() -> int {
      return run_preprocess(args->path, overrides_from(*args, sub->remaining()), *pa);
    };
  });
}

}  // namespace axolotl::cli
