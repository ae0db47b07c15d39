#!/usr/bin/env bash
# Starts a private-prediction deployment on this machine: the dealer, S1 and S0 as three
# processes linked by TLS-PSK on 127.0.0.1 (see docs/network.md). Ctrl-C stops all three.
#
#   scripts/deploy-local.sh [folder]      (default: deploy/; keys, state folders and logs go there)
#
# Then, from another terminal:
#   npx privedge enrol --model results/models/<hash>/user-<name> --user <name> \
#       --servers 127.0.0.1:7101,127.0.0.1:7102 --keys deploy/keys
#   npx privedge query --image some.png --servers 127.0.0.1:7101,127.0.0.1:7102 --keys deploy/keys --out deploy/queries.csv
#
# Ports: PRIVEDGE_S0_PORT (7101), PRIVEDGE_S1_PORT (7102), PRIVEDGE_DEALER_PORT (7100).
set -euo pipefail
dir="${1:-deploy}"
s0=${PRIVEDGE_S0_PORT:-7101}
s1=${PRIVEDGE_S1_PORT:-7102}
dealer=${PRIVEDGE_DEALER_PORT:-7100}
cd "$(dirname "$0")/.."
privedge=(node bin/privedge.js)
mkdir -p "$dir"
if [ ! -d "$dir/keys" ]; then "${privedge[@]}" keys --out "$dir/keys" > /dev/null; echo "keys written to $dir/keys (mode 0600)"; fi

pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  wait
}
trap stop EXIT INT TERM

"${privedge[@]}" serve --role dealer --keys "$dir/keys" --state "$dir/dealer" --listen "127.0.0.1:$dealer" > "$dir/dealer.log" 2>&1 &
pids+=($!)
"${privedge[@]}" serve --role s1 --keys "$dir/keys" --state "$dir/s1" --listen "127.0.0.1:$s1" --dealer "127.0.0.1:$dealer" > "$dir/s1.log" 2>&1 &
pids+=($!)
"${privedge[@]}" serve --role s0 --keys "$dir/keys" --state "$dir/s0" --listen "127.0.0.1:$s0" --dealer "127.0.0.1:$dealer" --peer "127.0.0.1:$s1" > "$dir/s0.log" 2>&1 &
pids+=($!)
echo "dealer :$dealer, S0 :$s0, S1 :$s1 (logs in $dir/*.log); Ctrl-C stops them"
tail -n +1 -f "$dir/dealer.log" "$dir/s0.log" "$dir/s1.log" &
pids+=($!)
# Exit (and stop the rest) as soon as one party dies.
wait -n "${pids[@]:0:3}"
