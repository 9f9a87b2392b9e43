import re
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import wait_for


def token():
    return "tok-" + uuid.uuid4().hex[:12]


def error_of(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_create_file_system_returns_an_efs_shaped_description_that_becomes_available(efs):
    fs = efs.create_file_system(CreationToken=token(), Tags=[{"Key": "Name", "Value": "web"}, {"Key": "team", "Value": "a"}])
    assert re.fullmatch(r"fs-[0-9a-f]{17}", fs["FileSystemId"])
    assert re.fullmatch(r"\d{12}", fs["OwnerId"])
    assert fs["FileSystemArn"] == f"arn:aws:elasticfilesystem:us-east-1:{fs['OwnerId']}:file-system/{fs['FileSystemId']}"
    assert fs["LifeCycleState"] == "creating"
    assert fs["Name"] == "web" and fs["NumberOfMountTargets"] == 0
    assert fs["SizeInBytes"]["Value"] == 0 and fs["SizeInBytes"]["ValueInStandard"] == 0 and fs["SizeInBytes"]["ValueInIA"] == 0
    assert fs["PerformanceMode"] == "generalPurpose" and fs["ThroughputMode"] == "bursting" and fs["Encrypted"] is False
    assert wait_for(efs, fs["FileSystemId"])["LifeCycleState"] == "available"


def test_a_reused_creation_token_creates_nothing_and_names_the_existing_file_system(efs):
    t = token()
    first = efs.create_file_system(CreationToken=t)
    before = len(efs.describe_file_systems()["FileSystems"])
    with pytest.raises(ClientError) as e:
        efs.create_file_system(CreationToken=t, PerformanceMode="maxIO")
    assert error_of(e) == ("FileSystemAlreadyExists", 409)
    assert e.value.response.get("FileSystemId") == first["FileSystemId"]
    assert len(efs.describe_file_systems()["FileSystems"]) == before


def test_creation_options_are_stored_and_returned(efs):
    fs = efs.create_file_system(CreationToken=token(), PerformanceMode="maxIO", ThroughputMode="provisioned",
                                ProvisionedThroughputInMibps=128.0, Encrypted=True,
                                KmsKeyId="arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                                Backup=True)
    got = wait_for(efs, fs["FileSystemId"])
    assert got["PerformanceMode"] == "maxIO" and got["ThroughputMode"] == "provisioned"
    assert got["ProvisionedThroughputInMibps"] == 128.0 and got["Encrypted"] is True
    assert got["KmsKeyId"].endswith("1234567890ab")
    assert efs.describe_backup_policy(FileSystemId=fs["FileSystemId"])["BackupPolicy"]["Status"] == "ENABLED"
    one_zone = efs.create_file_system(CreationToken=token(), AvailabilityZoneName="local-1b")
    assert one_zone["AvailabilityZoneName"] == "local-1b"


def test_describe_by_id_by_token_and_page_by_page(efs):
    made = [efs.create_file_system(CreationToken=token())["FileSystemId"] for _ in range(5)]
    t = efs.describe_file_systems(FileSystemId=made[2])["FileSystems"][0]["CreationToken"]
    assert [f["FileSystemId"] for f in efs.describe_file_systems(CreationToken=t)["FileSystems"]] == [made[2]]
    seen, marker = [], None
    while True:
        page = efs.describe_file_systems(MaxItems=2, **({"Marker": marker} if marker else {}))
        assert len(page["FileSystems"]) <= 2
        seen += [f["FileSystemId"] for f in page["FileSystems"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert len(seen) == len(set(seen)) and set(made) <= set(seen)
    assert len(seen) == len(efs.describe_file_systems()["FileSystems"])


def test_update_throughput_and_protection(efs):
    fs_id = efs.create_file_system(CreationToken=token())["FileSystemId"]
    wait_for(efs, fs_id)
    updated = efs.update_file_system(FileSystemId=fs_id, ThroughputMode="provisioned", ProvisionedThroughputInMibps=256)
    assert updated["ThroughputMode"] == "provisioned" and updated["ProvisionedThroughputInMibps"] == 256
    assert efs.update_file_system(FileSystemId=fs_id, ThroughputMode="elastic")["ThroughputMode"] == "elastic"
    assert efs.update_file_system_protection(FileSystemId=fs_id, ReplicationOverwriteProtection="DISABLED")[
        "ReplicationOverwriteProtection"] == "DISABLED"
    fs = efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]
    assert fs["FileSystemProtection"]["ReplicationOverwriteProtection"] == "DISABLED"


def test_delete_is_refused_while_mount_targets_exist_and_then_the_file_system_is_gone(efs):
    fs_id = efs.create_file_system(CreationToken=token())["FileSystemId"]
    wait_for(efs, fs_id)
    mt = efs.create_mount_target(FileSystemId=fs_id, SubnetId="subnet-00000000000000a01")
    with pytest.raises(ClientError) as e:
        efs.delete_file_system(FileSystemId=fs_id)
    assert error_of(e) == ("FileSystemInUse", 409)
    efs.delete_mount_target(MountTargetId=mt["MountTargetId"])
    efs.delete_file_system(FileSystemId=fs_id)
    states = set()
    with pytest.raises(ClientError) as e:
        for _ in range(100):
            states.add(efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["LifeCycleState"])
            time.sleep(0.05)
    assert error_of(e) == ("FileSystemNotFound", 404)
    assert states <= {"deleting"}


@pytest.mark.parametrize("kwargs", [
    {"CreationToken": "x" * 65},                                   # longer than the model's max 64
    {"CreationToken": "ok", "PerformanceMode": "turbo"},           # not in the enum
    {"CreationToken": "ok", "ThroughputMode": "provisioned"},      # provisioned without a figure
    {"CreationToken": "ok", "ProvisionedThroughputInMibps": 10.0},  # a figure without provisioned
    {"CreationToken": "ok", "KmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/x"},  # a key without Encrypted
    {"CreationToken": "ok", "AvailabilityZoneName": "mars-1a"},
    {"CreationToken": "ok", "Tags": [{"Key": "aws:reserved", "Value": "x"}]},
])
def test_bad_create_requests_are_refused_and_change_nothing(efs, kwargs):
    before = efs.describe_file_systems()["FileSystems"]
    with pytest.raises(ClientError) as e:
        efs.create_file_system(**kwargs)
    code, status = error_of(e)
    assert status == 400 and code in ("BadRequest", "UnsupportedAvailabilityZone")
    assert efs.describe_file_systems()["FileSystems"] == before or len(efs.describe_file_systems()["FileSystems"]) == len(before)


def test_unknown_and_malformed_ids(efs):
    with pytest.raises(ClientError) as e:
        efs.describe_file_systems(FileSystemId="fs-0123456789abcdef0")
    assert error_of(e) == ("FileSystemNotFound", 404)
    with pytest.raises(ClientError) as e:
        efs.describe_file_systems(FileSystemId="fs-NOT_VALID")
    assert error_of(e)[1] == 400
    with pytest.raises(ClientError) as e:
        efs.delete_mount_target(MountTargetId="fsmt-0123456789abcdef0")
    assert error_of(e) == ("MountTargetNotFound", 404)
    with pytest.raises(ClientError) as e:
        efs.describe_access_points(AccessPointId="fsap-0123456789abcdef0")
    assert error_of(e) == ("AccessPointNotFound", 404)


def test_replication_is_a_clear_error_not_a_crash(efs):
    fs_id = efs.create_file_system(CreationToken=token())["FileSystemId"]
    wait_for(efs, fs_id)
    with pytest.raises(ClientError) as e:
        efs.create_replication_configuration(SourceFileSystemId=fs_id, Destinations=[{"Region": "us-west-2"}])
    assert error_of(e)[1] == 400
    with pytest.raises(ClientError) as e:
        efs.delete_replication_configuration(SourceFileSystemId=fs_id)
    assert error_of(e) == ("ReplicationNotFound", 404)
    assert efs.describe_replication_configurations()["Replications"] == []
