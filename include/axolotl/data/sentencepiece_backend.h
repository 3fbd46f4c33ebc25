// The boundary to libaxolotl_spm.so, the only code that touches sentencepiece (its protobuf 3.14 clashes
// with LibTorch's 3.21), dlopened with RTLD_LOCAL | RTLD_DEEPBIND. Nothing throws across: errors come
// back as strings. sentencepiece's logging is off (std::cerr is unusable under DEEPBIND, spm_module.cpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace axolotl::data::spm {

// Bumped whenever Model or Module changes layout.
constexpr int kModuleVersion = 1;

// A loaded sentencepiece model (implemented inside the module; all methods are thread-safe).
class Model {
 public:
  virtual ~Model() = default;
  virtual std::vector<int> encode(const std::string& text) const = 0;  // as Python sp.encode(text)
  virtual std::string decode(const std::vector<int>& ids) const = 0;   // as Python sp.decode(ids)
  virtual int piece_size() const = 0;
  virtual std::string id_to_piece(int id) const = 0;
  virtual int piece_to_id(const std::string& piece) const = 0;  // unk_id() when absent
  virtual float score(int id) const = 0;
  virtual bool is_control(int id) const = 0;
  virtual bool is_unknown(int id) const = 0;
  virtual bool is_byte(int id) const = 0;
  virtual bool is_unused(int id) const = 0;
  virtual int bos_id() const = 0;  // -1 when the model has none
  virtual int eos_id() const = 0;
  virtual int unk_id() const = 0;
  virtual int pad_id() const = 0;
};

// Options of one training run; the module turns them into sentencepiece trainer flags.
struct TrainRequest {
  std::vector<std::string> sentences;  // the corpus, one sentence per entry
  std::string flags;                   // e.g. "--model_type=bpe --vocab_size=512 ..."
  unsigned seed = 0;                   // sentencepiece's global random seed
};

// The module's table of entry points (returned by the extern "C" axolotl_spm_module()).
class Module {
 public:
  virtual ~Module() = default;
  virtual int version() const = 0;
  // Parses a serialized ModelProto (the bytes of tokenizer.model). Null + *error on failure.
  virtual std::unique_ptr<Model> load(const std::string& serialized, std::string* error) const = 0;
  // Trains a model; returns the serialized ModelProto, or "" + *error on failure.
  virtual std::string train(const TrainRequest& request, std::string* error) const = 0;
};

// Core side: dlopens libaxolotl_spm.so once ($AXOLOTL_SPM, beside libaxolotl_core.so, or
// ../lib/axolotl beside the executable) and returns its table. Throws IoError with a hint.
const Module& load_module();

}  // namespace axolotl::data::spm

// The module's one exported symbol.
extern "C" const axolotl::data::spm::Module* axolotl_spm_module();
