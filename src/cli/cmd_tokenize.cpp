// `axolotl tokenize CONFIG | --tokenizer DIR [--text T] [--tokens|--count] [--lines] [--no-special]`: encodes
// text (from --text, else stdin) with the config's tokenizer and prints the ids as JSON, the
// piece/id pairs, or the count. Torch-free (core library only).
#include <iostream>
#include <iterator>
#include <string_view>
#include <memory>
#include <nlohmann/json.hpp>

#include "axolotl/cli/command.h"
#include "axolotl/cli/overrides.h"
#include "axolotl/config/loader.h"
#include "axolotl/data/tokenizer.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::cli {
namespace {

struct TokenizeArgs {
  ConfigArgs config;
  std::string tokenizer;
  std::string text;
  bool has_text = false;
  bool tokens = false;
  bool count = false;
  bool no_special = false;
  bool lines = false;
};

int run_tokenize(const TokenizeArgs& a, const std::vector<std::string>& extras) {
  config::TokenizerConfig tcfg;
  std::string path = a.tokenizer;
  if (!a.config.path.empty()) {
    auto loaded = config::load_file(a.config.path, overrides_from(a.config, extras));
    tcfg = loaded.config.tokenizer;
    if (path.empty()) path = tcfg.path.empty() ? loaded.config.model.name : tcfg.path;
  } else if (!extras.empty()) {
    throw UsageError("unexpected arguments without a config: " + extras.front());
  }
  if (path.empty()) {
    throw UsageError("give a CONFIG or --tokenizer DIR (a folder with tokenizer.json or tokenizer.model)");
  }
  auto tok = data::Tokenizer::load(path, tcfg);
  std::string text = a.text;
  if (!a.has_text) text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  auto encode = [&](std::string_view t) { return a.no_special ? tok->encode(t, false, false) : tok->encode(t); };
  if (a.lines) {  // each line on its own: one ids array per line, or the total count
    size_t total = 0;
    std::string_view rest(text);
    while (!rest.empty()) {
      const size_t nl = rest.find('\n');
      const std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      const std::vector<int32_t> ids = encode(line);
      total += ids.size();
      if (!a.count) std::cout << nlohmann::json(ids).dump() << "\n";
    }
    if (a.count) std::cout << total << "\n";
    return 0;
  }
  const std::vector<int32_t> ids = encode(text);
  if (a.count) {
    std::cout << ids.size() << "\n";
  } else if (a.tokens) {
    nlohmann::json out = nlohmann::json::array();
    for (int32_t id : ids) out.push_back({tok->id_to_token(id), id});
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << nlohmann::json(ids).dump() << "\n";
  }
  return 0;
}

}  // namespace

void add_tokenize_command(CLI::App& app, Dispatch& dispatch) {
  auto* sub = app.add_subcommand("tokenize", "encode text with a model's tokenizer and print the ids");
  auto a = std::make_shared<TokenizeArgs>();
  sub->add_option("config", a->config.path, "YAML config whose tokenizer to use (optional with --tokenizer)");
  add_set_option(*sub, a->config, "override a config key (repeatable)");
  sub->add_option("--tokenizer", a->tokenizer, "a tokenizer folder (tokenizer.json or tokenizer.model)");
  auto* text = sub->add_option("--text", a->text, "the text to encode; default: all of stdin");
  sub->add_flag("--tokens", a->tokens, "print [piece, id] pairs instead of ids");
  sub->add_flag("--count", a->count, "print only the number of tokens");
  sub->add_flag("--no-special", a->no_special, "do not add BOS/EOS (special tokens in the text still match)");
  sub->add_flag("--lines", a->lines, "encode each input line on its own (one ids array per line; --count: the total)");
  sub->allow_extras();
  sub->footer("Examples:\n  axolotl tokenize examples/tiny/config.yml --text 'Hello world'\n"
              "  echo 'Hello' | axolotl tokenize --tokenizer ./Meta-Llama-3-8B --tokens");
  sub->callback([sub, a, text, &dispatch] {
    a->has_text = text->count() > 0;
    if (a->tokens && (a->count || a->lines)) throw CLI::ValidationError("--tokens excludes --count and --lines");
    dispatch.run = [sub, a] { return run_tokenize(*a, sub->remaining()); };
  });
}

}  // namespace axolotl::cli
