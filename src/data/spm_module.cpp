// libaxolotl_spm.so: the sentencepiece wrapper module (placeholder until the tokenizer lands).
extern "C" int axolotl_spm_placeholder() { return 0; }
