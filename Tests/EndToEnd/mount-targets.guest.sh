#!/bin/bash
# Guest side of scripts/e2e-mount-targets: a Linux kernel client mounting mount targets and an access point
# made through the EFS API. @MT1_IP@, @MT2_IP@ and @AP@ are filled in by the host script.
set -u
O="nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport"
passed=0; failed=0
check() { local name=$1; shift; if out=$("$@" 2>&1); then echo "PASS $name"; passed=$((passed+1)); else echo "FAIL $name"; echo "$out" | sed 's/^/    /' | tail -15; failed=$((failed+1)); fi; }
ask() { touch "$OUT/want-$1"; for _ in $(seq 300); do [ -e "$OUT/done-$1" ] && return 0; sleep 0.2; done; return 1; }
mkdir -p /tmp/fs1 /tmp/ap /tmp/fs2 /tmp/again

check mount-file-system-root mount -t nfs -o $O @MT1_IP@:/ /tmp/fs1
check seed-outside-the-access-point bash -c "echo outside > /tmp/fs1/outside.txt && [ -e /tmp/fs1/outside.txt ]"
umount /tmp/fs1

check mount-access-point mount -t nfs -o $O @MT1_IP@:/@AP@ /tmp/ap
check root-directory-created-with-creation-info bash -c "[ \"\$(stat -c %u:%g:%a /tmp/ap)\" = 1001:1001:755 ]"
check files-created-as-root-belong-to-the-posix-user bash -c "echo hi > /tmp/ap/made-by-root && [ \"\$(stat -c %u:%g /tmp/ap/made-by-root)\" = 1001:1001 ]"
check confined-to-the-root-directory bash -c "[ \"\$(ls /tmp/ap)\" = made-by-root ] && [ ! -e /tmp/ap/outside.txt ] && ! ls /tmp/ap/export 2>/dev/null"
# A soft mount: its mount target is deleted below, and a dead hard mount would stall the VM's shutdown.
check second-file-system-mounts bash -c "mount -t nfs -o nfsvers=4.1,soft,timeo=20,retrans=1 @MT2_IP@:/ /tmp/fs2 && echo two > /tmp/fs2/two.txt && sync && [ \"\$(cat /tmp/fs2/two.txt)\" = two ]"

check policy-without-clientwrite ask readonly-policy
check writes-refused-under-policy bash -c "! sh -c 'echo no > /tmp/ap/denied' 2>/dev/null && [ ! -e /tmp/ap/denied ] && [ \"\$(cat /tmp/ap/made-by-root)\" = hi ]"
check policy-removed ask no-policy
check writes-allowed-again bash -c "echo yes > /tmp/ap/allowed && [ \"\$(cat /tmp/ap/allowed)\" = yes ]"

umount /tmp/ap
check security-group-excluding-the-client ask closed-sg
check mount-refused-by-security-group bash -c "! timeout 25 mount -t nfs -o nfsvers=4.1,soft,timeo=20,retrans=1 @MT1_IP@:/ /tmp/again 2>/dev/null"
check security-group-restored ask open-sg
check mount-allowed-again mount -t nfs -o $O @MT1_IP@:/@AP@ /tmp/ap

check delete-other-mount-target ask delete-mt2
check own-mount-unaffected-by-deletion bash -c "echo still > /tmp/ap/after-delete && echo 3 > /proc/sys/vm/drop_caches && [ \"\$(cat /tmp/ap/after-delete)\" = still ]"
umount /tmp/ap
umount -f -l /tmp/fs2 2>/dev/null
touch "$OUT/finished"
echo "mount-targets: $passed passed, $failed failed"
[ "$failed" = 0 ]
