#!/usr/bin/env bash
# Installs the Debian 12 packages Walnut needs, only those that are missing.
# Usage: scripts/install-deps.sh [build|test|bench|fuzz]   (test, bench and fuzz include build)
set -euo pipefail
level=${1:-build}
pkgs=(g++ cmake ninja-build pkg-config make libabsl-dev libxxhash-dev libcli11-dev
      libspdlog-dev libfmt-dev libcpp-httplib-dev nlohmann-json3-dev libhiredis-dev libreadline-dev
      libssl-dev)
if [[ $level == test || $level == bench ]]; then
  pkgs+=(libgtest-dev libgmock-dev redis-tools redis-server curl procps openssl)
fi
if [[ $level == bench ]]; then
  pkgs+=(libbenchmark-dev python3 gnuplot-nox valgrind)
fi
if [[ $level == fuzz ]]; then
  pkgs+=(clang libclang-rt-14-dev)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
echo "install-deps: installing ${missing[*]}"
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
