// tokenizer.json normalizers (FORMATS2.md §1.3): Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Strip,
// StripAccents, Replace, Prepend, ByteLevel. Each runs on one text segment between added tokens.
// Other types (BertNormalizer, Nmt, Precompiled) are an Error naming them.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace axolotl::data::tokjson {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string& text) const = 0;
};

// Null JSON gives nullptr (no normalization). `where` names the file for errors.
std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& j, const std::string& where);

}  // namespace axolotl::data::tokjson
