#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, to try `xfer slurm submit` (and to test it in CI).
#
#   scripts/slurm-local.sh [start]   write /etc/slurm/slurm.conf (see below), start munged,
#                                    slurmctld and slurmd, wait until the node is idle
#   scripts/slurm-local.sh stop      stop the daemons this script started
#   scripts/slurm-local.sh status    sinfo's view of the node
#
# Needs root and Debian's (or Ubuntu's) packages:
#   apt-get install --no-install-recommends slurmctld slurmd slurm-client munge
# No systemd and no cgroups (works in containers): proctrack/linuxproc, task/none, sched/builtin,
# select/cons_tres with CR_Core, no accounting (so no sacct). The node is this machine as
# `slurmd -C` reports it (CPUs and RealMemory never above that, or SLURM drains the node).
#
# The config is written only when absent or written earlier by this script (its first line is
# MARKER): a slurm.conf of your own is never overwritten; the script then stops with an error.
# Starting is idempotent: daemons already running are left as they are.
#
# Environment: SLURM_CONF (default /etc/slurm/slurm.conf), XFER_SLURM_WAIT (seconds to wait for
# the node, default 60), XFER_SLURM_CRED_EXPIRE (default 10) and XFER_SLURM_SCHED_INTERVAL
# (default 2; both below).
set -euo pipefail

CONF="${SLURM_CONF:-/etc/slurm/slurm.conf}"
WAIT="${XFER_SLURM_WAIT:-60}"
# A requeued job may start again cred_expire + 1 s after it ended (SLURM's default 120 s), and is
# then started by the next pass of the main scheduling loop (sched_interval, default 60 s): short
# values keep xfer's requeue test quick; production clusters keep the defaults.
CRED_EXPIRE="${XFER_SLURM_CRED_EXPIRE:-10}"
SCHED_INTERVAL="${XFER_SLURM_SCHED_INTERVAL:-2}"
MARKER="# written by xfer scripts/slurm-local.sh; it may rewrite this file (delete this line to keep your edits)"
LOG_DIR=/var/log/slurm
STATE_DIR=/var/lib/slurm
NODE=localhost
CONF_CHANGED=0

die() { printf 'slurm-local: %s\n' "$*" >&2; exit 1; }
say() { printf 'slurm-local: %s\n' "$*"; }

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

write_conf() {
  if [ -e "$CONF" ] && [ "$(head -n 1 "$CONF")" != "$MARKER" ]; then
    die "$CONF exists and was not written by this script; not touching it (move it aside, or start SLURM with your own config)"
  fi
  # The node as slurmd sees it: "NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105".
  local hw
  hw="$(slurmd -C | head -n 1)" || die "slurmd -C failed"
  [[ "$hw" == NodeName=* ]] || die "slurmd -C printed '$hw', expected a NodeName= line"
  hw="${hw#NodeName=* }"
  local tmp="$CONF.tmp.$$"
  mkdir -p "$(dirname "$CONF")"
  cat > "$tmp" <<EOF
$MARKER
ClusterName=xfer-local
SlurmctldHost=$NODE
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
AuthInfo=cred_expire=$CRED_EXPIRE
StateSaveLocation=$STATE_DIR/slurmctld
SlurmdSpoolDir=$STATE_DIR/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=$SCHED_INTERVAL
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
NodeName=$NODE NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
  if [ -f "$CONF" ] && cmp -s "$tmp" "$CONF"; then
    rm "$tmp"
    return
  fi
  mv "$tmp" "$CONF"
  CONF_CHANGED=1
  say "wrote $CONF ($NODE: $hw)"
}

show_logs() {
  for log in "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log"; do
    printf '\n--- last lines of %s\n' "$log" >&2
    tail -n 40 "$log" >&2 2>/dev/null || echo "(missing)" >&2
  done
  printf '\n--- sinfo\n' >&2
  sinfo -N -l >&2 2>&1 || true
}

start() {
  [ "$(id -u)" = 0 ] || die "needs root (it writes $CONF and starts the daemons)"
  for bin in munged slurmctld slurmd sinfo scontrol; do
    command -v "$bin" > /dev/null || die "$bin not found: apt-get install --no-install-recommends slurmctld slurmd slurm-client munge"
  done
  write_conf
  mkdir -p "$LOG_DIR" "$STATE_DIR/slurmctld" "$STATE_DIR/slurmd"
  chown slurm:slurm "$LOG_DIR" "$STATE_DIR/slurmctld"

  # munge: the key comes with the package (mungekey creates one when it is missing).
  if ! running /run/munge/munged.pid; then
    [ -f /etc/munge/munge.key ] || mungekey -c
    mkdir -p /run/munge && chown munge:munge /run/munge
    runuser -u munge -- munged
    say "started munged"
  fi
  munge -n | unmunge > /dev/null || die "munge does not work (munge -n | unmunge failed)"

  if ! running /run/slurmctld.pid; then
    slurmctld
    say "started slurmctld"
  elif [ "$CONF_CHANGED" = 1 ]; then
    scontrol reconfigure
    say "slurmctld was running: told it to read the new $CONF (scontrol reconfigure)"
  fi
  if ! running /run/slurmd.pid; then
    slurmd -N "$NODE"
    say "started slurmd"
  fi

  # A node left DOWN or DRAINED by an earlier run is given back to service.
  local deadline=$((SECONDS + WAIT)) state=""
  while [ "$SECONDS" -lt "$deadline" ]; do
    state="$(sinfo -h -n "$NODE" -o %t 2>/dev/null || true)"
    case "$state" in
      idle|mix|alloc) say "node $NODE is $state"; return 0 ;;
      down*|drain*) scontrol update NodeName="$NODE" State=RESUME 2>/dev/null || true ;;
    esac
    sleep 1
  done
  printf 'slurm-local: node %s not idle after %ss (state "%s")\n' "$NODE" "$WAIT" "$state" >&2
  show_logs
  exit 1
}

stop_daemon() {
  local name="$1" pidfile="$2"
  if running "$pidfile"; then
    local pid
    pid="$(cat "$pidfile")"
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    say "stopped $name"
  fi
}

stop() {
  [ -f "$CONF" ] && [ "$(head -n 1 "$CONF")" = "$MARKER" ] || die "$CONF was not written by this script: not stopping a cluster it did not start"
  stop_daemon slurmd /run/slurmd.pid
  stop_daemon slurmctld /run/slurmctld.pid
  stop_daemon munged /run/munge/munged.pid
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) sinfo -N -l ;;
  *) die "unknown command '$1'; expected start, stop or status" ;;
esac
