#!/bin/bash
# One of two client machines in scripts/e2e-locks; @ROLE@ (a: NFSv4.0, b: NFSv4.1) and @VERS@ are filled in.
# Host and guests coordinate through files: the guest writes $OUT/<name>, the host answers in $OUT/<name>.
set -u
ROLE=@ROLE@
export M=/tmp/m
passed=0; failed=0
check() { local name=$1; shift; if out=$("$@" 2>&1); then echo "PASS $ROLE $name"; passed=$((passed+1)); else echo "FAIL $ROLE $name"; echo "$out" | sed 's/^/    /' | tail -10; failed=$((failed+1)); fi; }
await() { for _ in $(seq 1500); do [ -e "$OUT/$1" ] && return 0; sleep 0.2; done; echo "timed out waiting for $1"; return 1; }
# lock_state flock|fcntl: prints "free" or "locked" after one non-blocking attempt (an error prints neither).
lock_state() {
  python3 -c "
import errno, fcntl, os, sys
fd = os.open(os.environ['M'] + '/lockfile', os.O_RDWR)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB) if sys.argv[1] == 'flock' else fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print('free')
except OSError as e:
    print('locked' if e.errno in (errno.EAGAIN, errno.EACCES) else 'error %d' % e.errno)
" "$1"
}
export -f lock_state
HOLDER=/tmp/job/locks-holder.py

mkdir -p $M
check mount mount -t nfs -o nfsvers=@VERS@,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport "$SERVER:/" $M
grep " $M " /proc/mounts | grep -q "vers=@VERS@" && echo "PASS $ROLE mounted-as-@VERS@" && passed=$((passed+1))

if [ "$ROLE" = a ]; then
  echo "shared data" > $M/lockfile; sync
  touch "$OUT/a-ready"
  # 1: a holds an flock; b must be blocked.
  python3 $HOLDER flock $M/lockfile "$OUT/a-holds-1" "$OUT/release-1" &
  await release-1; wait; touch "$OUT/a-released-1"
  # 2: b holds an fcntl lock; a must be blocked.
  await go-2
  check blocked-by-other-machines-fcntl-lock bash -c '[ "$(lock_state flock)" = locked ] && [ "$(lock_state fcntl)" = locked ]'
  touch "$OUT/a-checked-2"
  # 3: a holds an fcntl lock while the server is killed and restarted; it reclaims the lock.
  await go-3
  python3 $HOLDER fcntl $M/lockfile "$OUT/a-holds-3" "$OUT/release-3" &
  await release-3; wait
  check data-intact-after-restart bash -c "[ \"\$(cat $M/lockfile)\" = 'shared data' ]"
  touch "$OUT/a-released-3"
  # 5: b holds a read delegation of deleg-b; a's write recalls it. a reads deleg-a (its own delegation,
  # called back at its NFSv4.0 callback address) before b writes it: a must then see b's new content.
  await go-5
  check reads-before-the-other-writes bash -c "[ \"\$(cat $M/deleg-a)\" = v1 ]"
  check write-recalls-the-other-machines-delegation bash -c "echo v2 > $M/deleg-b"
  touch "$OUT/a-wrote-5"
  await go-7
  check sees-the-other-machines-write-after-reopening bash -c "[ \"\$(cat $M/deleg-a)\" = v2 ]"
  check returned-a-delegation-when-recalled bash -c "awk '\$1 == \"DELEGRETURN:\" { n += \$2 } END { print n; exit !(n > 0) }' /proc/self/mountstats"
else
  await go-1
  check blocked-by-other-machines-flock bash -c '[ "$(lock_state flock)" = locked ] && [ "$(lock_state fcntl)" = locked ]'
  touch "$OUT/b-checked-1"
  await go-2
  check free-once-released bash -c '[ "$(lock_state flock)" = free ]'
  python3 $HOLDER fcntl $M/lockfile "$OUT/b-holds-2" "$OUT/release-2" &
  await release-2; wait; touch "$OUT/b-released-2"
  await go-3
  # The server restarted while a held its lock: through grace, a's reclaimed lock still blocks b.
  check reclaimed-lock-still-blocks bash -c 's=$(timeout 120 bash -c lock_state\ fcntl); echo "lock state: [$s]"; [ "$s" = locked ]'
  touch "$OUT/b-checked-3"
  await go-4
  check free-after-holder-releases bash -c '[ "$(lock_state fcntl)" = free ] && [ "$(lock_state flock)" = free ]'
  # 5 (see a): files for the delegation checks, then a read that leaves b holding a delegation of deleg-b.
  echo v1 > $M/deleg-a; echo v1 > $M/deleg-b; sync
  check reads-before-the-other-writes bash -c "[ \"\$(cat $M/deleg-b)\" = v1 ]"
  touch "$OUT/b-read-5"
  await go-6
  check sees-the-other-machines-write-after-reopening bash -c "[ \"\$(cat $M/deleg-b)\" = v2 ]"
  check write-recalls-the-other-machines-delegation bash -c "echo v2 > $M/deleg-a"
  check returned-a-delegation-when-recalled bash -c "awk '\$1 == \"DELEGRETURN:\" { n += \$2 } END { print n; exit !(n > 0) }' /proc/self/mountstats"
  touch "$OUT/b-wrote-6"
fi
umount $M
echo "locks-$ROLE: $passed passed, $failed failed"
[ "$failed" = 0 ]
