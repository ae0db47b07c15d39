#!/usr/bin/env bash
# npm run test:slurm: runs a sharded PrivEdge run on a real, one-node Slurm cluster that this
# script starts on this machine, and checks that it gives the same results as an unsharded run.
#
#  1. Installs Debian's slurm-wlm and munge if they are missing (apt-get; needs root).
#  2. Writes a one-node slurm.conf for this machine (its hostname, 2 CPUs, its memory) in a
#     temporary folder, creates a munge key, and starts munged, slurmctld and slurmd there. All
#     traffic stays on 127.0.0.1. The daemons are stopped by their process ids on exit.
#  3. Runs configs/smoke/slurm.yaml unsharded (privedge run, then predict-private --queries 4).
#  4. Submits the same config with `privedge slurm`: a training array of 4 shards, the dependent
#     evaluation, a private-prediction array of 2 shards and the merge; waits for the queue.
#  5. Checks that every user's trained weights are byte for byte those of the unsharded run, that
#     the identification CSV files are identical, and that the merged private predictions query
#     the same images with the same labels.
#  6. Removes one private-prediction shard's marker, runs the same `privedge slurm` command again
#     and checks that it submits only that shard and the merge, and a third time nothing.
# Bounded: gives up after SLURM_TEST_TIMEOUT seconds (default 900) in all. KEEP=1 keeps the
# temporary folder (logs, results) for a look.
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)
timeout_s="${SLURM_TEST_TIMEOUT:-900}"
say() { echo "test:slurm: $*"; }
fail() { echo "test:slurm: FAILED: $*" >&2; exit 1; }
left() { echo $(( timeout_s - ($(date +%s) - started) )); }

# 1. Slurm and munge (Debian packages).
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge (apt-get)"
  apt-get update >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slurm-wlm munge >/dev/null
fi
[ -f dist/src/cli/main.js ] || fail "dist/ is missing: run npm ci (or npm run build) first"

# 2. A one-node cluster in a temporary folder.
tmp=$(mktemp -d /tmp/privedge-slurm.XXXXXX)
chmod 755 "$tmp"
pids=()
up=""
cleanup() {
  local status=$?
  if [ -n "$up" ]; then
    # Cancel whatever is left in this cluster's queue (it holds only this script's jobs), then
    # stop the daemons this script started, by their process ids.
    timeout 10 scancel --quiet --me 2>/dev/null || true
    for _ in $(seq 20); do [ -z "$(timeout 5 squeue -h 2>/dev/null)" ] && break; sleep 1; done
  fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ] || [ "${KEEP:-}" = 1 ]; then echo "test:slurm: logs and results kept in $tmp" >&2; else rm -rf "$tmp"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=""
for p in $(seq 16817 2 16899); do
  if port_free "$p" && port_free $((p + 1)); then port=$p; break; fi
done
[ -n "$port" ] || fail "no free pair of ports between 16817 and 16900 on 127.0.0.1"
host=$(hostname -s)
cpus=$(nproc); [ "$cpus" -gt 2 ] && cpus=2
mem_mb=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 - 512 ))
mkdir -p "$tmp"/{munge,state,spool,log}
chmod 700 "$tmp/munge"
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/munge.key"
cat > "$tmp/slurm.conf" <<EOF
# One-node test cluster written by scripts/slurm/test-slurm.sh.
ClusterName=privedge-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
ReturnToService=2
MpiDefault=none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$tmp/slurm.conf"

munged -F --force --key-file="$tmp/munge/munge.key" --socket="$tmp/munge/munge.sock" --pid-file="$tmp/munge/munged.pid" \
  --seed-file="$tmp/munge/munged.seed" --log-file="$tmp/log/munged.log" >"$tmp/log/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S "$tmp/munge/munge.sock" ] && break; sleep 0.1; done
[ -S "$tmp/munge/munge.sock" ] || { cat "$tmp/log/munged.out" >&2; fail "munged did not come up (no socket after 10 s)"; }
slurmctld -D -f "$SLURM_CONF" >"$tmp/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$tmp/log/slurmd.out" 2>&1 &
pids+=($!)
names=(munged slurmctld slurmd)
for _ in $(seq 60); do
  if [ "$(sinfo -h -N -o %T 2>/dev/null)" = idle ]; then up=1; break; fi
  for i in 0 1 2; do
    if ! kill -0 "${pids[i]}" 2>/dev/null; then
      tail -n 20 "$tmp/log/${names[i]}.out" >&2 || true
      fail "${names[i]} exited at start (its output above; slurm.conf and logs in $tmp)"
    fi
  done
  sleep 1
done
if [ -z "$up" ]; then
  tail -n 20 "$tmp"/log/*.out "$tmp"/log/*.log >&2 || true
  fail "slurmctld and slurmd did not come up (node $host not idle after 60 s; logs above)"
fi
say "one-node cluster up: $host, $cpus CPUs, ${mem_mb} MB, ports $port-$((port + 1)), daemons ${pids[*]} ($(( $(date +%s) - started )) s)"

wait_for_queue() {
  while [ -n "$(squeue -h)" ]; do
    [ "$(left)" -gt 0 ] || { squeue >&2; fail "the jobs did not finish within ${timeout_s} s"; }
    sleep 2
  done
}
show_logs() { for f in "$1"/logs/*.log; do echo "--- $f" >&2; tail -n 15 "$f" >&2; done; }

# 3 and 4 run the commands of docs/cluster.md ("Try it"), word for word (checked here).
doc_run() {
  grep -qxF "$1" docs/cluster.md || fail "docs/cluster.md no longer shows the command: $1"
  eval "$1"
}
reference="$tmp/reference"
sharded="$tmp/sharded"

# 3. The unsharded reference run.
doc_run 'npx privedge run configs/smoke/slurm.yaml --out "$reference"'
doc_run 'npx privedge predict-private --run "$reference"/identification/*/ --queries 4' >/dev/null
ref_run=$(ls -d "$reference"/identification/*/)
say "unsharded reference run done ($(( $(date +%s) - started )) s)"

# 4. The same config on Slurm: 4 training shards, evaluation, 2 private-prediction shards, merge.
submit() {
  doc_run 'npx privedge slurm configs/smoke/slurm.yaml --shards 4 --private-shards 2 --queries 4 --out "$sharded" --cpus-per-task 1 --mem 2G --time 15:00'
}
submit | tee "$tmp/submit-1.txt"
job_dir=$(sed -n 's/^job folder: //p' "$tmp/submit-1.txt")
[ "$(grep -c '^submitted job' "$tmp/submit-1.txt")" = 4 ] || fail "expected 4 submissions (train, evaluate, predict, merge)"
wait_for_queue
for m in train-0-of-4 train-1-of-4 train-2-of-4 train-3-of-4 evaluate predict-0-of-2 predict-1-of-2 merge; do
  [ -e "$job_dir/done/$m" ] || { show_logs "$job_dir"; fail "task $m did not complete (logs above)"; }
done
say "Slurm pipeline done ($(( $(date +%s) - started )) s)"

# 5. Same results as the unsharded run.
ref_models=$(ls -d "$reference"/models/*/)
models="$sharded/models/$(basename "$ref_models")"
[ -d "$models" ] || fail "the sharded run wrote no models folder $models (models hash differs from the reference's)"
users=0
for u in "$ref_models"user-*/; do
  name=$(basename "$u")
  for f in weights.bin model.json curves.csv; do
    cmp -s "$u$f" "$models/$name/$f" || fail "$name/$f differs between the unsharded and the sharded run"
  done
  users=$((users + 1))
done
[ "$users" = 4 ] || fail "expected 4 trained users in the reference run, found $users"
run_dir="$sharded/identification/$(basename "$ref_run")"
for f in predictions.csv dissimilarity.csv metrics.csv confusion.csv; do
  cmp -s "$ref_run$f" "$run_dir/$f" || fail "identification $f differs between the unsharded and the sharded run"
done
# Private predictions: same images, true and plaintext users, private labels and plaintext margins
# (the 2PC randomness is fresh in every run, so the measured errors and times differ).
labels() { cut -d, -f1-4,6 "$1" | sort; }
diff <(labels "$ref_run/private_predictions.csv") <(labels "$run_dir/private_predictions.csv") >&2 ||
  fail "merged private predictions differ from the unsharded ones"
[ "$(tail -n +2 "$run_dir/private_predictions.csv" | wc -l)" = 4 ] || fail "expected 4 merged private predictions"
say "same weights (4 users, byte for byte), identification CSV files and private labels as the unsharded run"

# 6. Re-submission: only what is missing runs again.
rm "$job_dir/done/predict-1-of-2"
submit | tee "$tmp/submit-2.txt"
grep -q "^submitted job [0-9]*: predict  sbatch --parsable --array=1 " "$tmp/submit-2.txt" || fail "re-submission did not submit predict shard 1 alone"
grep -q "^submitted job [0-9]*: merge " "$tmp/submit-2.txt" || fail "re-submission did not submit the merge"
[ "$(grep -c '^submitted job' "$tmp/submit-2.txt")" = 2 ] || fail "re-submission submitted more than predict shard 1 and the merge"
wait_for_queue
[ -e "$job_dir/done/predict-1-of-2" ] && [ -e "$job_dir/done/merge" ] || { show_logs "$job_dir"; fail "re-submitted tasks did not complete"; }
diff <(labels "$ref_run/private_predictions.csv") <(labels "$run_dir/private_predictions.csv") >&2 || fail "re-merged private predictions differ"
submit | tee "$tmp/submit-3.txt"
grep -q "nothing to submit" "$tmp/submit-3.txt" || fail "a complete pipeline was submitted again"
say "re-submission ran only the missing shard and the merge; then nothing was left to submit"
say "passed in $(( $(date +%s) - started )) s"
