#!/usr/bin/env bash
# A one-node Slurm cluster on 127.0.0.1, for testing job arrays on one machine.
#
#   deploy/slurm/local-cluster.sh start  STATE_DIR   # idempotent; prints SLURM_CONF=…
#   deploy/slurm/local-cluster.sh stop   STATE_DIR   # idempotent
#   deploy/slurm/local-cluster.sh status STATE_DIR   # exit 0 when the node is up
#
# Installs what is missing (Debian: slurmctld, slurmd, slurm-client, munge; needs
# root), then writes everything under STATE_DIR: a munge key and socket of its own
# (the system's munged and /etc/munge are left alone), slurm.conf, the
# controller's StateSaveLocation, slurmd's spool, pid files and logs. Point the
# Slurm commands at it with `export SLURM_CONF=STATE_DIR/slurm.conf`.
#
# The cluster: one node `localhost` (NodeAddr 127.0.0.1) with this machine's CPUs
# and 90% of its memory, one partition `debug`, controller and slurmd on free high
# ports (or SLURMCTLD_PORT / SLURMD_PORT), processes tracked by
# proctrack/linuxproc, no cgroups, no accounting database. SlurmUser and
# SlurmdUser are root: this is a test rig, not a production configuration.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/usr/local/sbin:/sbin"

usage() { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
state=$2

install_missing() {
  local missing=()
  command -v slurmctld >/dev/null || missing+=(slurmctld)
  command -v slurmd >/dev/null || missing+=(slurmd)
  command -v sbatch >/dev/null || missing+=(slurm-client)
  command -v munged >/dev/null || missing+=(munge)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "== installing ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  # The packages' own services are not wanted (and not started where
  # policy-rc.d forbids it); this script runs its own daemons.
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
    "${missing[@]}" >&2
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A live process, not a zombie awaiting its parent (stat's third field is Z).
running() {
  local st
  st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) && [ -n "$st" ] && [ "$st" != Z ]
}
pid_alive() { [ -f "$1" ] && running "$(cat "$1")"; }

node_up() {
  SLURM_CONF="$state/slurm.conf" timeout 10 sinfo -h -n localhost -o '%t' 2>/dev/null \
    | grep -Eq '^(idle|mix|alloc)'
}

write_config() {
  mkdir -p "$state/munge" "$state/ctld" "$state/spool" "$state/log"
  chmod 755 "$state" "$state/munge"
  if [ ! -s "$state/munge/munge.key" ]; then
    head -c 1024 /dev/urandom > "$state/munge/munge.key"
  fi
  chmod 600 "$state/munge/munge.key"
  local ctld_port=${SLURMCTLD_PORT:-$(free_port)}
  local slurmd_port=${SLURMD_PORT:-$(free_port)}
  local cpus mem_mb
  cpus=$(nproc)
  mem_mb=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
  cat > "$state/slurm.conf" <<EOF
# Written by deploy/slurm/local-cluster.sh: a one-node test cluster on loopback.
ClusterName=mailcensus-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$state/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# Finished jobs stay visible to scontrol for an hour (no accounting database).
MinJobAge=3600
# Signalled jobs get SIGKILL 5 s after SIGTERM.
KillWait=5
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
  if pid_alive "$state/slurmctld.pid" && pid_alive "$state/slurmd.pid" && node_up; then
    echo "slurm already running: SLURM_CONF=$state/slurm.conf"
    return 0
  fi
  install_missing
  # Anything half-started before is stopped first, so that start is idempotent.
  stop >/dev/null 2>&1 || true
  write_config
  munged --force \
    --socket="$state/munge/munge.sock" \
    --key-file="$state/munge/munge.key" \
    --pid-file="$state/munge/munged.pid" \
    --seed-file="$state/munge/munged.seed" \
    --log-file="$state/log/munged.log"
  export SLURM_CONF="$state/slurm.conf"
  # -i: ignore (there is none) saved state; a fresh controller every start.
  slurmctld -i
  slurmd -N localhost
  for _ in $(seq 1 60); do
    node_up && { echo "slurm up: SLURM_CONF=$SLURM_CONF"; return 0; }
    sleep 0.5
  done
  echo "slurm did not come up within 30 s; logs:" >&2
  tail -n 20 "$state/log/slurmctld.log" "$state/log/slurmd.log" >&2 || true
  return 1
}

# Waits (bounded) for process $2 of pid file $1 to exit, kills it after 10 s,
# and removes the pid file.
reap() {
  local file=$1 pid=$2
  for _ in $(seq 1 40); do
    running "$pid" || { rm -f "$file"; return 0; }
    sleep 0.25
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$file"
}

stop() {
  [ -d "$state" ] || return 0
  if [ -f "$state/slurm.conf" ] && pid_alive "$state/slurmctld.pid"; then
    # Stops slurmctld and every slurmd; running jobs are killed with them.
    SLURM_CONF="$state/slurm.conf" timeout 10 scontrol shutdown >/dev/null 2>&1 || true
  fi
  local f pid
  for f in slurmd.pid slurmctld.pid munge/munged.pid; do
    # The daemon may remove its pid file as it exits: read it once.
    pid=$(cat "$state/$f" 2>/dev/null) || continue
    if running "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
    reap "$state/$f" "$pid"
  done
  echo "slurm stopped"
}

case "$cmd" in
  start) mkdir -p "$state"; state=$(cd "$state" && pwd); start ;;
  stop) [ -d "$state" ] && state=$(cd "$state" && pwd); stop ;;
  status)
    [ -d "$state" ] || exit 1
    state=$(cd "$state" && pwd)
    pid_alive "$state/slurmctld.pid" && pid_alive "$state/slurmd.pid" && node_up ;;
  *) usage ;;
esac
