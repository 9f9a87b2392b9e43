#!/bin/bash
# Guest side of scripts/bench-delegations: two mounts of two servers, one granting no delegations (port
# 2049) and one granting read delegations (port 2050). Each round re-opens and re-reads the same files on
# each mount in turn, and reports the time and the NFS operations the kernel client sent for it.
set -eu
FILES=${FILES:-@FILES@}; ROUNDS=${ROUNDS:-@ROUNDS@}
opts=nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport
mkdir -p /tmp/none /tmp/read
mount -t nfs -o $opts,port=2049 "$SERVER:/" /tmp/none
mount -t nfs -o $opts,port=2050 "$SERVER:/" /tmp/read
for m in none read; do
  mkdir -p /tmp/$m/d
  for i in $(seq $FILES); do head -c 4096 /dev/urandom > /tmp/$m/d/f$i; done
done
sync
# ops MOUNT: "OPEN GETATTR ACCESS CLOSE READ DELEGRETURN" counts of that mount so far (OPEN includes
# OPEN_NOATTR, which is how the 4.1 client re-opens a file whose handle it has: CLAIM_FH).
ops() {
  awk -v m="$1" '
    $1 == "device" { here = ($5 == m) }
    here && $1 ~ /^(OPEN|OPEN_NOATTR|GETATTR|ACCESS|CLOSE|READ|DELEGRETURN):$/ { n[$1] = $2 }
    END { printf "%d %d %d %d %d %d\n", n["OPEN:"] + n["OPEN_NOATTR:"], n["GETATTR:"], n["ACCESS:"], n["CLOSE:"], n["READ:"], n["DELEGRETURN:"] }
  ' /proc/self/mountstats
}
# Opens and reads with bash's own `read` (no process per file: the VM's emulated CPU would time those).
reread() { local x i; for ((i = 1; i <= FILES; i++)); do LC_ALL=C read -r -N 4096 x < "$1/d/f$i" || true; done; }
for m in none read; do reread /tmp/$m; done  # first opens (and, on the second server, the delegations)
for round in $(seq $ROUNDS); do
  for m in none read; do
    before=($(ops /tmp/$m)); start=$(date +%s%N)
    reread /tmp/$m
    end=$(date +%s%N); after=($(ops /tmp/$m))
    echo "round $round delegations=$m seconds=$(( (end - start) / 1000000 ))e-3 open=$((after[0]-before[0])) getattr=$((after[1]-before[1])) access=$((after[2]-before[2])) close=$((after[3]-before[3])) read=$((after[4]-before[4]))"
  done
done
umount /tmp/none /tmp/read
