#!/usr/bin/env bash
# Installs the Debian 12 packages axolotl needs, by what they are for:
#   scripts/install-deps.sh           building and running (what `make build` and `make demo` need)
#   scripts/install-deps.sh --test    also what the test suite runs: Python reference scripts and
#                                     the config-schema validator (`make test`, `make test-all`)
#   scripts/install-deps.sh --fuzz    also clang and libFuzzer for scripts/fuzz.sh (.ci/run)
#   scripts/install-deps.sh --list    prints the packages the other options select and installs none
# Idempotent: does nothing (and needs no network) when all of them are present.
set -euo pipefail

# build and run: compilers, LibTorch and the libraries linked; ca-certificates so that Hub downloads
# can verify TLS on a minimal Debian (--no-install-recommends leaves it out otherwise)
packages=(
  cmake g++ make ninja-build ccache pkg-config
  libtorch-dev libgloo-dev libopenblas0-pthread libdnnl-dev
  libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libsentencepiece-dev
  libcurl4-openssl-dev libssl-dev ca-certificates libspdlog-dev libfmt-dev libgtest-dev
  libonig-dev libutf8proc-dev
)
# only tests run these: tests/reference/*.py (torch, sentencepiece; chat_template_render.py: jinja2),
# the examples harness (yaml), tests/reference/config_schema_check.py (jsonschema), bench/harness.py
test_packages=(python3 python3-torch python3-sentencepiece python3-yaml python3-jsonschema python3-jinja2)
fuzz_packages=(clang libclang-rt-14-dev)

list=0
for arg in "$@"; do
  case "$arg" in
    --test) packages+=("${test_packages[@]}") ;;
    --fuzz) packages+=("${fuzz_packages[@]}") ;;
    --list) list=1 ;;
    *) echo "install-deps: unknown option '$arg' (use --test, --fuzz and/or --list)" >&2; exit 2 ;;
  esac
done
if [ "$list" -eq 1 ]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
