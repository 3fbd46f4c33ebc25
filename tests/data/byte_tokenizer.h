// A tokenizer for data tests that need no model files: one id per byte (3 + byte), bos 1, eos 2.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "axolotl/data/tokenizer.h"

namespace axolotl::data {

class ByteTokenizer : public Tokenizer {
 public:
  std::vector<int32_t> encode(std::string_view text, bool add_bos, bool add_eos) const override {
    std::vector<int32_t> ids;
    if (add_bos) ids.push_back(1);
    for (unsigned char c : text) ids.push_back(3 + c);
    if (add_eos) ids.push_back(2);
    return ids;
  }
  std::string decode(const std::vector<int32_t>&, bool) const override { return {}; }
  std::string token_text(int32_t) const override { return {}; }
  int32_t vocab_size() const override { return 259; }
  std::optional<int32_t> token_to_id(std::string_view) const override { return std::nullopt; }
  std::string id_to_token(int32_t) const override { return {}; }
  bool is_special(int32_t id) const override { return id < 3; }
  int32_t bos_id() const override { return 1; }
  int32_t eos_id() const override { return 2; }
  int32_t unk_id() const override { return 0; }
  int32_t pad_id() const override { return -1; }
  bool add_bos() const override { return true; }
  bool add_eos() const override { return false; }
};

}  // namespace axolotl::data
