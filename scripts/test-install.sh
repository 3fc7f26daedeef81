#!/usr/bin/env bash
# `make install` into a scratch prefix, then build and run a consumer through
# find_package(gatehouse) (shared and static targets) and through pkg-config.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" > /dev/null
cmake -S "$root/tests/install" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$tmp/prefix" > /dev/null
cmake --build "$tmp/consumer" > /dev/null
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/consumer/consumer_shared"
"$tmp/consumer/consumer_static"
libdir=$(ls -d "$tmp"/prefix/lib*/pkgconfig | head -1)
cc "$root/tests/install/consumer.c" -o "$tmp/consumer_pc" $(PKG_CONFIG_PATH="$libdir" pkg-config --cflags --libs gatehouse)
LD_LIBRARY_PATH="$(dirname "$libdir")" "$tmp/consumer_pc"
test -f "$(dirname "$libdir")/libgatehouse.a"
test -f "$tmp/prefix/include/gatehouse/jwt.h"
test -x "$tmp/prefix/bin/gatehouse"
echo "install: find_package (shared, static) and pkg-config consumers: 3 passed, 0 failed"
