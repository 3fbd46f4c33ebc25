// The Hugging Face releases whose file formats we follow (Axolotl's pins, FORMATS2.md), written into
// the files as those libraries do: "transformers_version" in config.json / generation_config.json,
// "peft_version" in adapter_config.json.
#pragma once

namespace axolotl::model {

inline constexpr const char* kTransformersVersion = "5.14.1";
inline constexpr const char* kPeftVersion = "0.19.1";

}  // namespace axolotl::model
