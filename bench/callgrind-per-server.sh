#!/bin/bash
# Instructions per server of FleetEngine.runShard, counted by valgrind's callgrind:
# repeatable on a loaded machine where timings are not. Runs the engine of a
# build (a dist/ directory) on SPEC twice, with N1 and N2 servers after the same
# 5,000-server warm-up, and prints the marginal count per server between the two
# (the JIT's compile work mostly cancels out). V8 runs --predictable (single
# threaded, fixed random and hash seeds) so that two runs of one build count the
# same to a few thousand instructions in millions; with --single-threaded alone,
# counts moved by ±3 % from run to run.
#
#   bench/callgrind-per-server.sh dist bench/single-strategy.yaml 10000 40000
#
# Compare two builds by copying one dist/ aside (cp -r dist /tmp/before) and
# running both. Add BY_FUNCTION=1 to also write callgrind.<n2>.out with the
# instruction addresses and /tmp/perf-<pid>.map (node --perf-basic-prof), which
# bench/callgrind-by-function.py joins into instructions per JS function.
set -euo pipefail
dist=$(cd "${1:?dist directory}" && pwd)
spec=$(cd "$(dirname "${2:?spec}")" && pwd)/$(basename "$2")
n1=${3:-10000}
n2=${4:-40000}
script='
const [dist, spec, n] = process.argv.slice(1);
const { FleetEngine } = require(dist + "/libs/kdump-core/src/engine.js");
const { loadModel } = require(dist + "/bench/setup.js");
const e = new FleetEngine(loadModel(spec));
e.runShard({ index: 0, serverStart: 0, serverEnd: 5000 });
e.runShard({ index: 0, serverStart: 5000, serverEnd: 5000 + Number(n) });'
ir() {
  local extra=() flags=()
  if [ "${BY_FUNCTION:-}" = 1 ] && [ "$1" = "$n2" ]; then
    extra=(--dump-instr=yes --callgrind-out-file="callgrind.$1.out")
    flags=(--perf-basic-prof)
  else
    extra=(--callgrind-out-file=/dev/null)
  fi
  valgrind --tool=callgrind "${extra[@]}" node --predictable --random-seed=1 --hash-seed=1 "${flags[@]}" -e "$script" "$dist" "$spec" "$1" 2>&1 |
    grep -o 'Collected : [0-9]*' | grep -o '[0-9]*'
}
a=$(ir "$n1")
b=$(ir "$n2")
echo "$(basename "$spec"): $(((b - a) / (n2 - n1))) instructions per server (marginal, $n1 → $n2 servers; totals $a, $b)"
