#!/usr/bin/env bash
# Runs every unit-test executable under valgrind memcheck: any error or
# definite leak fails. (The CLI test runs the CLI; its library code is the same.)
set -u
bin=${1:-build/bin}
# The allocation-failure loops run exhaustively under ASan; here every 16th
# failure point is enough, and keeps the run short.
export GH_FAULTSIM_STEP=${GH_FAULTSIM_STEP:-16}
failed=0 passed=0
for t in "$bin"/test_*; do
  log=$(mktemp)
  if valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
      --show-leak-kinds=definite "$t" > "$log" 2>&1; then
    passed=$((passed + 1))
  else
    echo "valgrind: $(basename "$t") FAILED"; tail -40 "$log"; failed=$((failed + 1))
  fi
  rm -f "$log"
done
echo "valgrind: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
