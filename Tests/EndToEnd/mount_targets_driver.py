"""Host side of scripts/e2e-mount-targets: drives the EFS API with boto3 (inside the VM's network
namespace) and answers the guest's requests for mid-run changes."""
import configparser
import json
import os
import sys
import time

import boto3

data_dir, api, job = sys.argv[1], sys.argv[2], sys.argv[3]
creds = configparser.ConfigParser()
creds.read(os.path.join(data_dir, "admin-credentials"))
efs = boto3.client("efs", endpoint_url=api, region_name="us-east-1",
                   aws_access_key_id=creds["default"]["aws_access_key_id"],
                   aws_secret_access_key=creds["default"]["aws_secret_access_key"])
SUBNET, OPEN_SG, CLOSED_SG = "subnet-0000000000000e2e1", "sg-00000000000000a11", "sg-00000000000000b10"


def wait(check, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def available_fs(token):
    fs_id = efs.create_file_system(CreationToken=token)["FileSystemId"]
    wait(lambda: efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["LifeCycleState"] == "available", fs_id)
    return fs_id


def available_mt(fs_id, ip):
    mt = efs.create_mount_target(FileSystemId=fs_id, SubnetId=SUBNET, IpAddress=ip, SecurityGroups=[OPEN_SG])["MountTargetId"]
    wait(lambda: efs.describe_mount_targets(MountTargetId=mt)["MountTargets"][0]["LifeCycleState"] == "available", mt)
    return mt


if sys.argv[4] == "setup":
    fs1, fs2 = available_fs("e2e-one"), available_fs("e2e-two")
    mt1, mt2 = available_mt(fs1, "192.168.77.10"), available_mt(fs2, "192.168.77.11")
    ap = efs.create_access_point(ClientToken="e2e-ap", FileSystemId=fs1, PosixUser={"Uid": 1001, "Gid": 1001},
                                 RootDirectory={"Path": "/export/app",
                                                "CreationInfo": {"OwnerUid": 1001, "OwnerGid": 1001, "Permissions": "755"}})["AccessPointId"]
    wait(lambda: efs.describe_access_points(AccessPointId=ap)["AccessPoints"][0]["LifeCycleState"] == "available", ap)
    print(f"FS1={fs1} FS2={fs2} MT1={mt1} MT2={mt2} AP={ap}")
    sys.exit(0)

ids = dict(kv.split("=") for kv in sys.argv[5:])
out = os.path.join(job, "out")
actions = {
    "want-readonly-policy": lambda: efs.put_file_system_policy(FileSystemId=ids["FS1"], Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientRootAccess"]}]})),
    "want-no-policy": lambda: efs.delete_file_system_policy(FileSystemId=ids["FS1"]),
    "want-closed-sg": lambda: efs.modify_mount_target_security_groups(MountTargetId=ids["MT1"], SecurityGroups=[CLOSED_SG]),
    "want-open-sg": lambda: efs.modify_mount_target_security_groups(MountTargetId=ids["MT1"], SecurityGroups=[OPEN_SG]),
    "want-delete-mt2": lambda: efs.delete_mount_target(MountTargetId=ids["MT2"]),
}
done = set()
deadline = time.time() + 900
while time.time() < deadline and len(done) < len(actions):
    for name, act in actions.items():
        if name not in done and os.path.exists(os.path.join(out, name)):
            act()
            done.add(name)
            open(os.path.join(out, name.replace("want-", "done-")), "w").close()
            print("driver:", name, flush=True)
    if os.path.exists(os.path.join(out, "finished")):
        break
    time.sleep(0.1)
size = efs.describe_file_systems(FileSystemId=ids["FS1"])["FileSystems"][0]["SizeInBytes"]["Value"]
print(f"driver: {ids['FS1']} meters {size} bytes")
sys.exit(0 if size > 0 else 1)
