#!/bin/bash
# Runs inside the nfs-client-vm guest (a real Linux 6.1 NFS client) against a Strata server at $SERVER.
# Prints one PASS/FAIL line per check and a closing "nfs-e2e: N passed, M failed" line.
set -u
M=/tmp/strata
passed=0; failed=0
check() {  # check NAME COMMAND...
  local name=$1; shift
  if out=$("$@" 2>&1); then echo "PASS $name"; passed=$((passed + 1))
  else echo "FAIL $name"; echo "$out" | sed 's/^/    /' | tail -20; failed=$((failed + 1)); fi
}
expect_eq() { [ "$1" = "$2" ] || { echo "expected [$2] got [$1]"; return 1; }; }

mkdir -p $M
check mount mount -t nfs -o nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport "$SERVER:/" $M
mount | grep -q " $M " || { echo "nfs-e2e: $passed passed, $((failed + 1)) failed"; exit 1; }
grep " $M " /proc/mounts | grep -q 'vers=4.1' && echo "PASS mounted-as-4.1" && passed=$((passed + 1))

check create-read-write-append bash -c "
  echo first > $M/f.txt && echo second >> $M/f.txt &&
  [ \"\$(cat $M/f.txt)\" = \"\$(printf 'first\nsecond')\" ] &&
  printf 'XY' | dd of=$M/f.txt bs=1 seek=2 conv=notrunc status=none &&
  [ \"\$(head -c 5 $M/f.txt)\" = 'fiXYt' ]"

check file-200MiB-round-trip bash -c "
  head -c 209715200 /dev/urandom > /tmp/big.src && sum=\$(md5sum < /tmp/big.src) &&
  cp /tmp/big.src $M/big && sync && echo 3 > /proc/sys/vm/drop_caches &&
  [ \"\$(md5sum < $M/big)\" = \"\$sum\" ] && [ \$(stat -c %s $M/big) = 209715200 ]"

check truncate bash -c "
  truncate -s 100 $M/big && [ \$(stat -c %s $M/big) = 100 ] &&
  [ \"\$(head -c 100 /tmp/big.src | md5sum)\" = \"\$(md5sum < $M/big)\" ] &&
  truncate -s 5000 $M/big && [ \$(stat -c %s $M/big) = 5000 ] &&
  [ \"\$(tail -c 4900 $M/big | tr -d '\\0' | wc -c)\" = 0 ]"

check rename-over-existing bash -c "
  echo new > $M/r-new && echo old > $M/r-old && mv $M/r-new $M/r-old &&
  [ \"\$(cat $M/r-old)\" = new ] && [ ! -e $M/r-new ]"

check hard-links bash -c "
  echo data > $M/h1 && ln $M/h1 $M/h2 && [ \$(stat -c %h $M/h1) = 2 ] &&
  [ \$(stat -c %i $M/h1) = \$(stat -c %i $M/h2) ] && rm $M/h1 &&
  [ \$(stat -c %h $M/h2) = 1 ] && [ \"\$(cat $M/h2)\" = data ]"

check symlinks bash -c "
  echo target > $M/t && ln -s t $M/l && [ \"\$(readlink $M/l)\" = t ] && [ \"\$(cat $M/l)\" = target ] &&
  ln -s /nonexistent/path $M/dangling && [ \"\$(readlink $M/dangling)\" = /nonexistent/path ]"

check mkdir-p-deep-tree bash -c "
  mkdir -p $M/deep/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p && echo leaf > $M/deep/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/leaf &&
  [ \$(find $M/deep -type d | wc -l) = 17 ] && [ \$(stat -c %h $M/deep/a) = 3 ]"

check rm-rf bash -c "rm -rf $M/deep && [ ! -e $M/deep ]"

check chmod-chown-by-root bash -c "
  echo x > $M/owned && chmod 640 $M/owned && [ \$(stat -c %a $M/owned) = 640 ] &&
  chown 1000:1000 $M/owned && [ \"\$(stat -c %u:%g $M/owned)\" = 1000:1000 ] &&
  chmod 4755 $M/owned && [ \$(stat -c %a $M/owned) = 4755 ]"

check permission-denied-for-non-root bash -c "
  mkdir $M/private && chmod 700 $M/private && echo secret > $M/private/s && echo ro > $M/readonly && chmod 644 $M/readonly &&
  ! setpriv --reuid 1000 --regid 1000 --clear-groups cat $M/private/s 2>/dev/null &&
  ! setpriv --reuid 1000 --regid 1000 --clear-groups touch $M/private/new 2>/dev/null &&
  ! setpriv --reuid 1000 --regid 1000 --clear-groups sh -c 'echo no >> $M/readonly' 2>/dev/null &&
  setpriv --reuid 1000 --regid 1000 --clear-groups cat $M/readonly >/dev/null &&
  mkdir $M/pub && chmod 1777 $M/pub && setpriv --reuid 1000 --regid 1000 --clear-groups sh -c 'echo mine > $M/pub/u1000' &&
  [ \"\$(stat -c %u:%g $M/pub/u1000)\" = 1000:1000 ] &&
  ! setpriv --reuid 1001 --regid 1001 --clear-groups rm -f $M/pub/u1000 2>/dev/null && [ -e $M/pub/u1000 ]"

check mtime-ctime-change bash -c "
  echo a > $M/times && m1=\$(stat -c %Y.%y $M/times) && c1=\$(stat -c %z $M/times) && sleep 1.1 &&
  echo b >> $M/times && m2=\$(stat -c %Y.%y $M/times) && [ \"\$m1\" != \"\$m2\" ] &&
  c2=\$(stat -c %z $M/times) && sleep 1.1 && chmod 600 $M/times && c3=\$(stat -c %z $M/times) &&
  [ \"\$c2\" != \"\$c3\" ] && [ \"\$(stat -c %Y.%y $M/times)\" = \"\$m2\" ] &&
  touch -m -d '2001-02-03 04:05:06' $M/times && [ \"\$(stat -c %Y $M/times)\" = 981173106 ]"

check directory-of-10000-entries bash -c "
  mkdir $M/many && python3 -c '
import os
for i in range(10000): open(\"$M/many/entry-%05d\" % i, \"w\").close()
' && [ \$(ls -f $M/many | grep -c ^entry-) = 10000 ] && [ \$(ls $M/many | sort -u | wc -l) = 10000 ]"

check write-durable-before-restart bash -c "
  head -c 3000000 /dev/urandom > $M/survivor && sync && md5sum < $M/survivor > /tmp/survivor.sum &&
  exec 9<$M/survivor"

# The host restarts the server while the mount stays up; the hard mount recovers.
touch "$OUT/restart-now"
for _ in $(seq 600); do [ -e "$OUT/restarted" ] && break; sleep 0.2; done
check data-intact-after-server-restart bash -c "
  [ -e $OUT/restarted ] && echo 3 > /proc/sys/vm/drop_caches &&
  [ \"\$(md5sum < $M/survivor)\" = \"\$(cat /tmp/survivor.sum)\" ] &&
  echo after-restart > $M/after && [ \"\$(cat $M/after)\" = after-restart ] && [ \"\$(cat $M/h2)\" = data ]"

check unmount umount $M
echo "nfs-e2e: $passed passed, $failed failed"
[ "$failed" = 0 ]
