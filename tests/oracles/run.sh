#!/usr/bin/env bash
# Runs a node script of tests/oracles, installing the pinned packages
# (package.json) from the npm registry first when they are missing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$here/node_modules/ajv" ] || [ ! -d "$here/node_modules/jose" ] || [ ! -d "$here/node_modules/@seriousme/openapi-schema-validator" ] \
  || [ ! -d "$here/node_modules/playwright-core" ]; then
  npm install --silent --no-audit --no-fund --prefix "$here" >&2
fi
exec node "$here/$1" "${@:2}"
