#!/usr/bin/env bash
# Runs payresult bench with two builds in turn, the README's way of
# comparing them in one sitting: ROUNDS rounds, each one run of each build
# on SQLite and then on PostgreSQL, the old build first in odd rounds and
# the new one first in even rounds. Each run writes OUT/r<round>-<store>-<old|new>.json.
#
#   go build -o /tmp/old/payresult ./cmd/payresult   # at the old commit
#   go build -o /tmp/new/payresult ./cmd/payresult   # at the new one
#   internal/bench/compare/run.sh /tmp/old/payresult /tmp/new/payresult 5 /tmp/bench
#   python3 internal/bench/compare/summary.py /tmp/bench
#
# N (default 2000) and LEVELS (default 1,32,128) set --n and
# --concurrency; PAYRESULT_TEST_POSTGRES is the PostgreSQL URL.
set -euo pipefail
old=$(realpath "$1") new=$(realpath "$2") rounds=$3 out=$(realpath -m "$4")
pg=${PAYRESULT_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
mkdir -p "$out"
for r in $(seq 1 "$rounds"); do
  if (( r % 2 )); then order="old new"; else order="new old"; fi
  for store in sqlite postgres; do
    for b in $order; do
      bin=$old; [[ $b == new ]] && bin=$new
      args=(bench --n "${N:-2000}" --concurrency "${LEVELS:-1,32,128}" --no-startup --json)
      [[ $store == postgres ]] && args+=(--db "$pg")
      dir=$(mktemp -d)
      (cd "$dir" && "$bin" "${args[@]}" > "$out/r$r-$store-$b.json" 2> "$out/r$r-$store-$b.err")
      rm -rf "$dir"
      echo "round $r $store $b done $(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg)"
    done
  done
done
