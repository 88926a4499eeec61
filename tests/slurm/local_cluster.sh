#!/usr/bin/env bash
# A throw-away single-node Slurm cluster (munged, slurmctld, slurmd) in a
# temporary folder, on loopback only, for the sharded-sweep test.
#
#   tests/slurm/local_cluster.sh start DIR   # prints the SLURM_CONF to export
#   tests/slurm/local_cluster.sh stop DIR
#
# Needs root (slurmd runs jobs as their submitter and must be able to) and
# the Debian packages slurm-wlm and munge (scripts/setup installs them).
# Exit 77 (ctest's skip code in the test) when either is missing.
set -euo pipefail

action=${1:-}
dir=${2:-}
[[ -n $action && -n $dir ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

stop() {
  for name in slurmd slurmctld munged; do
    if [[ -f $dir/$name.pid ]]; then
      kill "$(cat "$dir/$name.pid")" 2>/dev/null || true
    fi
  done
  # Wait (bounded) for them to go, so the folder can be removed.
  for _ in $(seq 50); do
    alive=0
    for name in slurmd slurmctld munged; do
      [[ -f $dir/$name.pid ]] && kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null && alive=1
    done
    ((alive)) || return 0
    sleep 0.1
  done
}

free_port() {
  local port
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "local_cluster: no free port found" >&2
  return 1
}

case "$action" in
  stop) stop; exit 0 ;;
  start) ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

if [[ $(id -u) -ne 0 ]]; then
  echo "local_cluster: SKIP: needs root to run slurmd" >&2
  exit 77
fi
for tool in munged slurmctld slurmd sbatch; do
  command -v "$tool" >/dev/null || { echo "local_cluster: SKIP: $tool not installed (scripts/setup)" >&2; exit 77; }
done

mkdir -p "$dir/state" "$dir/spool"
dir=$(realpath "$dir")
head -c 1024 /dev/urandom >"$dir/munge.key"
chmod 400 "$dir/munge.key"
munged --key-file="$dir/munge.key" --socket="$dir/munge.sock" --pid-file="$dir/munged.pid" \
  --log-file="$dir/munged.log" --seed-file="$dir/munge.seed" --force
ctld_port=$(free_port)
d_port=$(free_port)
cpus=$(nproc)
cat >"$dir/slurm.conf" <<CONF
ClusterName=drpcsim
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
AuthType=auth/munge
AuthInfo=socket=$dir/munge.sock
CredType=cred/munge
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=sweep Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf
# Daemons in the background, detached from this script's stdout (ctest
# waits for every holder of its pipe to close it).
setsid slurmctld -D -f "$SLURM_CONF" </dev/null >"$dir/slurmctld.out" 2>&1 &
setsid slurmd -D -f "$SLURM_CONF" -N localhost </dev/null >"$dir/slurmd.out" 2>&1 &
# The node is up when sinfo shows it idle (bounded: 30 s).
for _ in $(seq 300); do
  if sinfo -h -o %t 2>/dev/null | grep -q '^idle'; then
    echo "$SLURM_CONF"
    exit 0
  fi
  sleep 0.1
done
echo "local_cluster: the node did not come up in 30 s; logs in $dir" >&2
tail -n 20 "$dir"/*.log "$dir"/*.out >&2 || true
stop
exit 1
