#!/usr/bin/env bash
# Installs the Debian packages gatehouse needs to build, test, fuzz and
# benchmark. Idempotent: installs only what is missing, and runs apt-get
# update only when something is. The one source of truth for dependencies.
#   scripts/install-deps.sh          install what is missing (everything: make test, bench, fuzz)
#   scripts/install-deps.sh --run    only what `make run` needs: the build and the library's deps
#   scripts/install-deps.sh --check  exit 1 (listing them) if any are missing
set -euo pipefail

RUN_PACKAGES=(
  # build
  build-essential cmake pkg-config
  # library dependencies: crypto backends, JSON, Redis client
  libmbedtls-dev libssl-dev libcjson-dev libhiredis-dev
  # the reference server: libuv, and llhttp's sources (compiled at build time, never copied)
  libuv1-dev node-llhttp
)
PACKAGES=(
  "${RUN_PACKAGES[@]}"
  # tests: unit tests, sanitizers and fuzzing with clang, valgrind; a real
  # Redis for the distributed tests (redis-tools brings redis-benchmark)
  libcmocka-dev clang libclang-rt-14-dev valgrind python3 redis-server redis-tools
  # the Go binding (cgo, standard library only)
  golang-go
  # the Python binding's middleware tests: real frameworks under Debian's python3
  # (pip installs the package offline with its setuptools, in a venv)
  python3-flask python3-starlette python3-uvicorn python3-venv python3-setuptools
  # benchmark peers (libjwt linked only into tests/bench; nginx and wrk for the server's);
  # curl drives the server's tests
  libjwt-dev nginx-light wrk curl
  # the server's TLS tests make their test CA and certificates with the openssl command
  openssl
  # the developer portal's page is tested in headless Chromium (driven by npm's playwright-core)
  chromium
)

only_run=false
[ "${1:-}" = "--run" ] && only_run=true && PACKAGES=("${RUN_PACKAGES[@]}")
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# node and npm (fixture generation, the jose benchmark peer): any package
# that provides the commands will do (Debian's, or one that bundles npm).
if ! $only_run; then
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "missing packages: ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
