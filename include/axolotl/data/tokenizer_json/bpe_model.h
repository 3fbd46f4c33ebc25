// The tokenizer.json `BPE` model (FORMATS2.md §1.2): vocab, merges in both forms, ignore_merges,
// byte_fallback, unk_token with fuse_unk, continuing-subword prefix and end-of-word suffix. Words are
// merged lowest rank first (ties leftmost) and the result is cached per word (bounded, per thread).
// Dropout is refused (training-time only).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "axolotl/data/tokenizer_json/flat_map.h"

namespace axolotl::data::tokjson {

struct BpeTables;  // tokenizer_file.h
struct BpeVocab;

class BpeModel {
 public:
  // `j` is the "model" object; any type other than BPE is an Error naming it.
  BpeModel(const nlohmann::json& j, const std::string& where);
  // The same from a "model" object without vocab and merges and the tables read_tokenizer_file
  // took out of it (identical ids and errors).
  BpeModel(const nlohmann::json& j, BpeTables tables, const std::string& where);

  // Appends the ids of one pre-tokenized word.
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;

  int32_t size() const { return static_cast<int32_t>(id_to_token_.size()); }
  std::optional<int32_t> token_to_id(std::string_view token) const;
  // "" for an id in a gap of the vocab.
  const std::string& id_to_token(int32_t id) const;
  std::optional<int32_t> unk_id() const { return unk_; }

 private:
  void merge_word(std::string_view word, std::vector<int32_t>& out) const;
  void read_options(const nlohmann::json& j, const std::string& where);
  void set_vocab(BpeVocab v, const std::string& where);
  enum class MergeLine { kMerge, kVersion, kBad };
  // "a b" -> a, b (kMerge); kVersion for a "#version" line; kBad for other shapes.
  static MergeLine split_merge_line(std::string_view line, std::string_view& a, std::string_view& b);
  [[noreturn]] static void bad_merge_line(std::string_view line, const std::string& where);
  [[noreturn]] static void merge_out_of_vocab(std::string_view a, std::string_view b, const std::string& where);
  // a + b without b's continuing-subword prefix, in `scratch`.
  const std::string& merged_token(std::string_view a, std::string_view b, std::string& scratch) const;
  void add_merge(std::string_view a, std::string_view b, int32_t rank, const std::string& where);

  static uint64_t pair_key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }

  StringIdMap vocab_;
  std::vector<std::string> id_to_token_;
  PairMap merges_;
  std::optional<int32_t> unk_;
  std::string prefix_, suffix_, unk_token_;
  bool fuse_unk_ = false, byte_fallback_ = false, ignore_merges_ = false;
  std::array<int32_t, 256> byte_ids_{};  // ids of <0xHH> (-1 when absent)
  uint64_t instance_;                    // keys the per-thread word cache
};

}  // namespace axolotl::data::tokjson
