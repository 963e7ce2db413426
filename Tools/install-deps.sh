#!/usr/bin/env bash
# Installs the Debian packages Whittle builds against, when any is missing. Idempotent; used by
# `make demo` and `make test`, so a fresh machine needs nothing done by hand.
set -euo pipefail
packages=(libprotobuf-c-dev protobuf-c-compiler libonnx-dev libprotobuf-dev libopenblas-dev pkg-config python3-venv time)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
