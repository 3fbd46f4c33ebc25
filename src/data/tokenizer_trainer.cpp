// Deterministic training of a tiny Llama-style SentencePiece BPE tokenizer (see tokenizer_trainer.h).
// Flags mirror Llama-2's trainer_spec where they matter for behaviour: byte_fallback, identity
// normalization, whitespace kept as-is, digits split (sentencepiece trainer_spec field names).
#include "axolotl/io/atomic_file.h"
#include "axolotl/data/tokenizer_trainer.h"

#include <nlohmann/json.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "axolotl/data/sentencepiece_backend.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::data {
namespace {
namespace fs = std::filesystem;
using nlohmann::ordered_json;

std::vector<std::string> read_sentences(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    throw IoError(Diagnostic{{path, 0, 0}, {}, "cannot read the tokenizer training corpus", {}, {},
                             "give a UTF-8 text file with one sentence per line"});
  }
  std::vector<std::string> out;
  std::string line;
  while (std::getline(f, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  if (out.empty()) throw IoError(Diagnostic{{path, 0, 0}, {}, "the tokenizer training corpus is empty", {}, {}, {}});
  return out;
}

ordered_json added_token(const std::string& content) {
  return ordered_json{{"content", content}, {"lstrip", false}, {"normalized", false},
                      {"rstrip", false},    {"single_word", false}, {"special", true}};
}

// tokenizer_config.json as transformers' LlamaTokenizer.save_pretrained writes it (FORMATS.md §2.5).
std::string tokenizer_config_json() {
  ordered_json j;
  j["add_bos_token"] = true;
  j["add_eos_token"] = false;
  j["added_tokens_decoder"] = ordered_json{{"0", added_token("<unk>")}, {"1", added_token("<s>")},
                                           {"2", added_token("</s>")}};
  j["bos_token"] = "<s>";
  j["clean_up_tokenization_spaces"] = false;
  j["eos_token"] = "</s>";
  j["legacy"] = true;
  j["model_max_length"] = 2048;
  j["pad_token"] = nullptr;
  j["sp_model_kwargs"] = ordered_json::object();
  j["tokenizer_class"] = "LlamaTokenizer";
  j["unk_token"] = "<unk>";
  return j.dump(2) + "\n";
}

std::string special_tokens_map_json() {
  ordered_json j{{"bos_token", "<s>"}, {"eos_token", "</s>"}, {"unk_token", "<unk>"}};
  return j.dump(2) + "\n";
}

}  // namespace

int train_tokenizer(const std::string& corpus_path, const std::string& output_dir, int vocab_size, uint32_t seed) {
  if (vocab_size < 260) {
    throw IoError(Diagnostic{{}, "vocab_size", "vocabulary too small for a byte-fallback tokenizer",
                             std::to_string(vocab_size), ">= 260 (3 specials + 256 bytes + 1)", {}});
  }
  spm::TrainRequest request;
  request.sentences = read_sentences(corpus_path);
  request.seed = seed;
  request.flags = "--model_type=bpe --vocab_size=" + std::to_string(vocab_size) +
                  " --character_coverage=1.0 --byte_fallback=true --num_threads=1"
                  " --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1"
                  " --normalization_rule_name=identity --remove_extra_whitespaces=false --add_dummy_prefix=true"
                  " --split_digits=true --allow_whitespace_only_pieces=true --max_sentence_length=16384"
                  " --input_sentence_size=0 --shuffle_input_sentence=false";

  std::string error;
  const std::string model = spm::load_module().train(request, &error);
  if (model.empty()) {
    throw IoError(Diagnostic{{corpus_path, 0, 0}, "vocab_size", "sentencepiece training failed", error, {},
                             "check the corpus; a small corpus cannot fill a large vocabulary (lower vocab_size)"});
  }
  std::unique_ptr<spm::Model> check = spm::load_module().load(model, &error);
  if (!check) throw IoError(Diagnostic{{corpus_path, 0, 0}, {}, "the trained model does not load", error, {}, {}});

  std::error_code ec;
  fs::create_directories(output_dir, ec);
  if (ec) {
    throw IoError(Diagnostic{{output_dir, 0, 0}, {}, "cannot create the output folder", ec.message(), {}, {}});
  }
  const fs::path dir(output_dir);
  io::write_file_atomic((dir / "tokenizer.model").string(), model);
  io::write_file_atomic((dir / "tokenizer_config.json").string(), tokenizer_config_json());
  io::write_file_atomic((dir / "special_tokens_map.json").string(), special_tokens_map_json());
  log::info("tokenizer", "trained a {}-piece BPE tokenizer on {} lines of {} into {}", check->piece_size(),
            request.sentences.size(), corpus_path, output_dir);
  return check->piece_size();
}

}  // namespace axolotl::data
