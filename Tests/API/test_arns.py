"""Every operation that takes a file system or access point id takes its ARN too, as EFS's model says; an
ARN of another region, account or resource type names nothing."""
import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import wait_for, wait_mount_target

A = "subnet-00000000000000a01"
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:ClientMount"}]})


def wait_gone(efs, fs_id, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            efs.describe_file_systems(FileSystemId=fs_id)
        except ClientError as e:
            assert e.response["Error"]["Code"] == "FileSystemNotFound"
            return
        time.sleep(0.1)
    raise AssertionError(f"{fs_id} was never deleted")


def code(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture(scope="module")
def resources(efs):
    fs = efs.create_file_system(CreationToken=uuid.uuid4().hex)
    wait_for(efs, fs["FileSystemId"])
    ap = efs.create_access_point(FileSystemId=fs["FileSystemArn"], ClientToken=uuid.uuid4().hex,
                                 PosixUser={"Uid": 1001, "Gid": 1001})
    return fs["FileSystemId"], fs["FileSystemArn"], ap["AccessPointId"], ap["AccessPointArn"]


def test_create_access_point_by_file_system_arn_belongs_to_that_file_system(efs, resources):
    fs_id, _, ap_id, _ = resources
    assert efs.describe_access_points(AccessPointId=ap_id)["AccessPoints"][0]["FileSystemId"] == fs_id


def test_describe_operations_take_arns(efs, resources):
    fs_id, fs_arn, ap_id, ap_arn = resources
    assert efs.describe_file_systems(FileSystemId=fs_arn)["FileSystems"][0]["FileSystemId"] == fs_id
    assert efs.describe_access_points(AccessPointId=ap_arn)["AccessPoints"][0]["AccessPointId"] == ap_id
    assert [a["AccessPointId"] for a in efs.describe_access_points(FileSystemId=fs_arn)["AccessPoints"]] == [ap_id]
    assert efs.describe_mount_targets(FileSystemId=fs_arn)["MountTargets"] == []
    assert efs.describe_mount_targets(AccessPointId=ap_arn)["MountTargets"] == []


def test_tags_by_arn_for_file_systems_and_access_points(efs, resources):
    fs_id, fs_arn, ap_id, ap_arn = resources
    for resource_id, resource_arn in [(fs_id, fs_arn), (ap_id, ap_arn)]:
        efs.tag_resource(ResourceId=resource_arn, Tags=[{"Key": "team", "Value": "storage"}])
        assert {"Key": "team", "Value": "storage"} in efs.list_tags_for_resource(ResourceId=resource_id)["Tags"]
        assert {"Key": "team", "Value": "storage"} in efs.list_tags_for_resource(ResourceId=resource_arn)["Tags"]
        efs.untag_resource(ResourceId=resource_arn, TagKeys=["team"])
        assert "team" not in {t["Key"] for t in efs.list_tags_for_resource(ResourceId=resource_id)["Tags"]}
    efs.create_tags(FileSystemId=fs_arn, Tags=[{"Key": "old", "Value": "api"}])
    assert {"Key": "old", "Value": "api"} in efs.describe_tags(FileSystemId=fs_arn)["Tags"]
    efs.delete_tags(FileSystemId=fs_arn, TagKeys=["old"])
    assert "old" not in {t["Key"] for t in efs.describe_tags(FileSystemId=fs_id)["Tags"]}


def test_policies_and_settings_by_arn(efs, resources):
    fs_id, fs_arn, _, _ = resources
    efs.put_lifecycle_configuration(FileSystemId=fs_arn, LifecyclePolicies=[{"TransitionToIA": "AFTER_7_DAYS"}])
    assert efs.describe_lifecycle_configuration(FileSystemId=fs_arn)["LifecyclePolicies"] == [{"TransitionToIA": "AFTER_7_DAYS"}]
    efs.put_file_system_policy(FileSystemId=fs_arn, Policy=POLICY)
    assert efs.describe_file_system_policy(FileSystemId=fs_arn)["FileSystemId"] == fs_id
    efs.delete_file_system_policy(FileSystemId=fs_arn)
    with pytest.raises(ClientError) as e:
        efs.describe_file_system_policy(FileSystemId=fs_id)
    assert code(e)[0] == "PolicyNotFound"
    efs.put_backup_policy(FileSystemId=fs_arn, BackupPolicy={"Status": "ENABLED"})
    assert efs.describe_backup_policy(FileSystemId=fs_arn)["BackupPolicy"]["Status"] in ("ENABLED", "ENABLING")
    efs.update_file_system(FileSystemId=fs_arn, ThroughputMode="elastic")
    assert efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["ThroughputMode"] == "elastic"
    efs.update_file_system_protection(FileSystemId=fs_arn, ReplicationOverwriteProtection="DISABLED")
    with pytest.raises(ClientError) as e:
        efs.describe_replication_configurations(FileSystemId=fs_arn)
    assert code(e)[0] == "ReplicationNotFound"  # the file system was found by its ARN
    with pytest.raises(ClientError) as e:
        efs.delete_replication_configuration(SourceFileSystemId=fs_arn)
    assert code(e)[0] == "ReplicationNotFound"


def test_mount_targets_and_deletes_by_arn(efs):
    fs = efs.create_file_system(CreationToken=uuid.uuid4().hex)
    wait_for(efs, fs["FileSystemId"])
    mt = efs.create_mount_target(FileSystemId=fs["FileSystemArn"], SubnetId=A)
    assert mt["FileSystemId"] == fs["FileSystemId"]
    wait_mount_target(efs, mt["MountTargetId"])
    efs.delete_mount_target(MountTargetId=mt["MountTargetId"])
    ap = efs.create_access_point(FileSystemId=fs["FileSystemId"], ClientToken=uuid.uuid4().hex)
    efs.delete_access_point(AccessPointId=ap["AccessPointArn"])
    with pytest.raises(ClientError) as e:
        efs.describe_access_points(AccessPointId=ap["AccessPointId"])
    assert code(e) == ("AccessPointNotFound", 404)
    deadline = time.time() + 10
    while efs.describe_mount_targets(FileSystemId=fs["FileSystemId"])["MountTargets"] and time.time() < deadline:
        time.sleep(0.1)
    efs.delete_file_system(FileSystemId=fs["FileSystemArn"])
    wait_gone(efs, fs["FileSystemId"])


def test_arns_of_another_region_account_or_kind_name_nothing(efs, resources):
    fs_id, fs_arn, ap_id, ap_arn = resources
    other_region = fs_arn.replace(":us-east-1:", ":eu-west-1:")
    other_account = fs_arn.replace(fs_arn.split(":")[4], "999999999999")
    for arn in [other_region, other_account]:
        with pytest.raises(ClientError) as e:
            efs.describe_file_systems(FileSystemId=arn)
        assert code(e) == ("FileSystemNotFound", 404), arn
        with pytest.raises(ClientError) as e:
            efs.list_tags_for_resource(ResourceId=arn)
        assert code(e) == ("FileSystemNotFound", 404), arn
    with pytest.raises(ClientError) as e:
        efs.describe_access_points(AccessPointId=ap_arn.replace(":us-east-1:", ":us-west-2:"))
    assert code(e) == ("AccessPointNotFound", 404)
    # An access point's ARN where a file system is meant fails the model's pattern.
    with pytest.raises(ClientError) as e:
        efs.describe_file_systems(FileSystemId=ap_arn)
    assert code(e)[1] == 400
