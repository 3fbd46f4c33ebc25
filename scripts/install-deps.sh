#!/usr/bin/env bash
# Installs every Debian package that building, testing and running axolotl needs.
# Idempotent: does nothing (and needs no network) when all of them are present.
set -euo pipefail

packages=(
  cmake g++ make ninja-build ccache pkg-config clang libclang-rt-14-dev
  libtorch-dev libgloo-dev libopenblas0-pthread libdnnl-dev
  libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libsentencepiece-dev
  libcurl4-openssl-dev libssl-dev ca-certificates libspdlog-dev libfmt-dev libgtest-dev
  python3 python3-torch python3-sentencepiece python3-yaml
  libonig-dev libutf8proc-dev
)

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
