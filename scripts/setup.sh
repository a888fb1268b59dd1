#!/usr/bin/env bash
# Installs, idempotently, every Debian package spherevp needs to build, test and run.
# Packages already present are skipped; nothing is downloaded when all are there.
# Usage: scripts/setup.sh            (uses sudo when not root)
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config
  # the design card's stack
  libsystemc-dev libboost-dev libboost-system-dev libboost-program-options-dev
  libssl-dev openssl catch2 libspdlog-dev libfmt-dev
  # well-kept libraries we use instead of hand-written code
  libyaml-cpp-dev libsqlite3-dev sqlite3 libcli11-dev nlohmann-json3-dev
  # sanitizers and fuzzing (clang + libFuzzer runtime)
  clang libclang-rt-14-dev
  # real-time-core firmware: cross toolchain, C library, and the reference model
  gcc-arm-none-eabi picolibc-arm-none-eabi qemu-system-arm gdb-multiarch
  # tools the tests and docs use
  curl python3
  # the HTML report is checked by rendering it headless (tests/metrics)
  chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "setup: installing ${#missing[@]} package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
