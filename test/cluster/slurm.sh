#!/usr/bin/env bash
# A real one-node SLURM cluster for the cluster suite: Debian's SLURM (slurmctld, slurmd, client) and
# munge, run as root without systemd, every file (key, socket, state, logs, pids) in STATE_DIR.
#   bash test/cluster/slurm.sh start STATE_DIR   installs from Debian when missing (needs root and apt);
#                                                prints "export SLURM_CONF=..." on stdout
#   bash test/cluster/slurm.sh stop STATE_DIR    stops exactly the daemons it started, by their pid files
# No accounting database (sacct then says "Slurm accounting storage is disabled"), as on clusters that
# restrict sacct.
set -euo pipefail
cmd=${1:?usage: slurm.sh start|stop STATE_DIR}
DIR=${2:?usage: slurm.sh start|stop STATE_DIR}

if [ "$cmd" = stop ]; then
  for daemon in slurmd slurmctld munged; do
    pidfile="$DIR/$daemon.pid"
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  exit 0
fi
[ "$cmd" = start ] || { echo "slurm.sh: unknown command $cmd" >&2; exit 2; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "slurm.sh: SLURM is not installed and installing it needs root" >&2; exit 3; }
  command -v apt-get >/dev/null || { echo "slurm.sh: SLURM is not installed and there is no apt-get" >&2; exit 3; }
  echo "slurm.sh: installing slurmctld slurmd slurm-client munge from Debian" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge >&2 ||
    { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge >&2; }
fi
[ "$(id -u)" = 0 ] || { echo "slurm.sh: the one-node cluster runs its daemons as root" >&2; exit 3; }

mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log" "$DIR/munge"
chmod 700 "$DIR/munge"
HOST=$(hostname -s)
CPUS=$(nproc)
MEM_MB=$(( $(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo) - 1024 ))
if [ ! -f "$DIR/munge/munge.key" ]; then
  head -c 1024 /dev/urandom > "$DIR/munge/munge.key"
  chmod 400 "$DIR/munge/munge.key"
fi
/usr/sbin/munged --force --key-file="$DIR/munge/munge.key" --socket="$DIR/munge/munge.socket" \
  --pid-file="$DIR/munged.pid" --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/seed" >&2

cat > "$DIR/slurm.conf" <<CONF
ClusterName=aemtest
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$DIR/munge/munge.socket
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SchedulerType=sched/backfill
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$DIR/slurm.conf"
/usr/sbin/slurmctld -f "$SLURM_CONF" >&2
/usr/sbin/slurmd -f "$SLURM_CONF" >&2
for _ in $(seq 1 60); do
  sinfo -h -o %t 2>/dev/null | grep -q idle && break
  sleep 0.5
done
sinfo -h -o %t 2>/dev/null | grep -q idle || { echo "slurm.sh: the node did not come up; see $DIR/log" >&2; exit 4; }
echo "export SLURM_CONF=$SLURM_CONF"
