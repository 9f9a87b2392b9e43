import json
import re
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import wait_for, wait_mount_target

A, B = "subnet-00000000000000a01", "subnet-00000000000000b01"


def new_fs(efs, **kwargs):
    fs_id = efs.create_file_system(CreationToken=uuid.uuid4().hex, **kwargs)["FileSystemId"]
    wait_for(efs, fs_id)
    return fs_id


def code(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_mount_targets_one_per_zone_with_addresses_from_the_subnet(efs):
    fs_id = new_fs(efs)
    mt = efs.create_mount_target(FileSystemId=fs_id, SubnetId=A)
    assert re.fullmatch(r"fsmt-[0-9a-f]{17}", mt["MountTargetId"])
    assert mt["IpAddress"].startswith("127.0.1.") and mt["AvailabilityZoneName"] == "local-1a"
    assert mt["VpcId"] == "vpc-00000000000000001" and mt["LifeCycleState"] == "creating"
    assert wait_mount_target(efs, mt["MountTargetId"])["LifeCycleState"] == "available"
    with pytest.raises(ClientError) as e:
        efs.create_mount_target(FileSystemId=fs_id, SubnetId=A)
    assert code(e) == ("MountTargetConflict", 409)
    other = efs.create_mount_target(FileSystemId=fs_id, SubnetId=B, IpAddress="127.0.2.77")
    assert other["IpAddress"] == "127.0.2.77" and other["AvailabilityZoneName"] == "local-1b"
    listed = efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"]
    assert {m["MountTargetId"] for m in listed} == {mt["MountTargetId"], other["MountTargetId"]}
    assert efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["NumberOfMountTargets"] == 2


def test_mount_target_errors_are_efs_errors(efs):
    fs_id, other_fs = new_fs(efs), new_fs(efs)
    efs.create_mount_target(FileSystemId=other_fs, SubnetId=A, IpAddress="127.0.1.50")
    cases = [
        ({"SubnetId": "subnet-0000000000000ffff"}, ("SubnetNotFound", 400)),
        ({"SubnetId": A, "IpAddress": "127.0.1.50"}, ("IpAddressInUse", 409)),
        ({"SubnetId": A, "IpAddress": "10.9.9.9"}, ("BadRequest", 400)),
        ({"SubnetId": A, "SecurityGroups": ["sg-0000000000000dead"]}, ("SecurityGroupNotFound", 400)),
        ({"SubnetId": A, "SecurityGroups": ["sg-00000000000000def"] * 6}, ("SecurityGroupLimitExceeded", 400)),
        ({"SubnetId": "not-a-subnet-id"}, ("BadRequest", 400)),
    ]
    for kwargs, expected in cases:
        with pytest.raises(ClientError) as e:
            efs.create_mount_target(FileSystemId=fs_id, **kwargs)
        assert code(e) == expected, kwargs
    assert efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"] == []
    with pytest.raises(ClientError) as e:
        efs.describe_mount_targets()
    assert code(e)[1] == 400


def test_mount_target_security_groups_can_be_read_and_replaced(efs):
    fs_id = new_fs(efs)
    mt = efs.create_mount_target(FileSystemId=fs_id, SubnetId=A)
    wait_mount_target(efs, mt["MountTargetId"])
    assert efs.describe_mount_target_security_groups(MountTargetId=mt["MountTargetId"])["SecurityGroups"] == ["sg-00000000000000def"]
    with pytest.raises(ClientError) as e:
        efs.modify_mount_target_security_groups(MountTargetId=mt["MountTargetId"], SecurityGroups=["sg-0000000000000dead"])
    assert code(e) == ("SecurityGroupNotFound", 400)
    efs.modify_mount_target_security_groups(MountTargetId=mt["MountTargetId"], SecurityGroups=["sg-00000000000000def"])
    efs.delete_mount_target(MountTargetId=mt["MountTargetId"])
    with pytest.raises(ClientError) as e:
        efs.describe_mount_target_security_groups(MountTargetId=mt["MountTargetId"])
    assert code(e) == ("MountTargetNotFound", 404)


def test_access_points_are_idempotent_by_client_token(efs):
    fs_id = new_fs(efs)
    args = dict(ClientToken="ap-token-1", FileSystemId=fs_id, PosixUser={"Uid": 1001, "Gid": 1001, "SecondaryGids": [2000]},
                RootDirectory={"Path": "/apps/web", "CreationInfo": {"OwnerUid": 1001, "OwnerGid": 1001, "Permissions": "750"}},
                Tags=[{"Key": "Name", "Value": "web-ap"}])
    ap = efs.create_access_point(**args)
    assert re.fullmatch(r"fsap-[0-9a-f]{17}", ap["AccessPointId"])
    assert ap["AccessPointArn"].endswith(":access-point/" + ap["AccessPointId"])
    assert ap["PosixUser"] == {"Uid": 1001, "Gid": 1001, "SecondaryGids": [2000]}
    assert ap["RootDirectory"]["Path"] == "/apps/web" and ap["RootDirectory"]["CreationInfo"]["Permissions"] == "750"
    assert ap["Name"] == "web-ap"
    assert efs.create_access_point(**args)["AccessPointId"] == ap["AccessPointId"]
    with pytest.raises(ClientError) as e:
        efs.create_access_point(**{**args, "PosixUser": {"Uid": 0, "Gid": 0}})
    assert code(e) == ("AccessPointAlreadyExists", 409)
    bare = efs.create_access_point(ClientToken="ap-token-2", FileSystemId=fs_id)
    assert bare["RootDirectory"] == {"Path": "/"}
    assert {a["AccessPointId"] for a in efs.describe_access_points(FileSystemId=fs_id)["AccessPoints"]} == {ap["AccessPointId"], bare["AccessPointId"]}
    assert efs.describe_mount_targets(AccessPointId=ap["AccessPointId"])["MountTargets"] == []
    with pytest.raises(ClientError) as e:
        efs.create_access_point(ClientToken="ap-token-3", FileSystemId=fs_id, RootDirectory={"Path": "relative/path"})
    assert code(e)[1] == 400
    with pytest.raises(ClientError) as e:
        efs.create_access_point(ClientToken="ap-token-4", FileSystemId=fs_id,
                                RootDirectory={"Path": "/x", "CreationInfo": {"OwnerUid": 1, "OwnerGid": 1, "Permissions": "999"}})
    assert code(e)[1] == 400
    efs.delete_access_point(AccessPointId=bare["AccessPointId"])
    with pytest.raises(ClientError) as e:
        efs.delete_access_point(AccessPointId=bare["AccessPointId"])
    assert code(e) == ("AccessPointNotFound", 404)


def test_tags_new_and_old_apis(efs):
    fs_id = new_fs(efs)
    efs.tag_resource(ResourceId=fs_id, Tags=[{"Key": "Name", "Value": "renamed"}, {"Key": "env", "Value": "dev"}])
    assert efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["Name"] == "renamed"
    efs.untag_resource(ResourceId=fs_id, TagKeys=["env"])
    assert efs.list_tags_for_resource(ResourceId=fs_id)["Tags"] == [{"Key": "Name", "Value": "renamed"}]
    efs.create_tags(FileSystemId=fs_id, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    efs.delete_tags(FileSystemId=fs_id, TagKeys=["a"])
    assert sorted(t["Key"] for t in efs.describe_tags(FileSystemId=fs_id)["Tags"]) == ["Name", "b"]
    ap = efs.create_access_point(ClientToken=uuid.uuid4().hex, FileSystemId=fs_id)
    efs.tag_resource(ResourceId=ap["AccessPointId"], Tags=[{"Key": "k", "Value": "v"}])
    assert efs.list_tags_for_resource(ResourceId=ap["AccessPointId"])["Tags"] == [{"Key": "k", "Value": "v"}]
    with pytest.raises(ClientError) as e:
        efs.tag_resource(ResourceId="fs-0123456789abcdef0", Tags=[{"Key": "k", "Value": "v"}])
    assert code(e) == ("FileSystemNotFound", 404)


def test_lifecycle_backup_and_file_system_policies(efs):
    fs_id = new_fs(efs)
    assert efs.describe_lifecycle_configuration(FileSystemId=fs_id)["LifecyclePolicies"] == []
    policies = [{"TransitionToIA": "AFTER_30_DAYS"}, {"TransitionToPrimaryStorageClass": "AFTER_1_ACCESS"}]
    assert efs.put_lifecycle_configuration(FileSystemId=fs_id, LifecyclePolicies=policies)["LifecyclePolicies"] == policies
    assert efs.describe_lifecycle_configuration(FileSystemId=fs_id)["LifecyclePolicies"] == policies
    with pytest.raises(ClientError) as e:
        efs.put_lifecycle_configuration(FileSystemId=fs_id, LifecyclePolicies=[{"TransitionToIA": "AFTER_7_DAYS", "TransitionToArchive": "AFTER_90_DAYS"}])
    assert code(e) == ("BadRequest", 400)
    with pytest.raises(ClientError) as e:
        efs.put_lifecycle_configuration(FileSystemId=fs_id, LifecyclePolicies=[{"TransitionToIA": "AFTER_2_DAYS"}])
    assert code(e) == ("BadRequest", 400)

    assert efs.describe_backup_policy(FileSystemId=fs_id)["BackupPolicy"]["Status"] == "DISABLED"
    assert efs.put_backup_policy(FileSystemId=fs_id, BackupPolicy={"Status": "ENABLED"})["BackupPolicy"]["Status"] == "ENABLED"
    with pytest.raises(ClientError) as e:
        efs.put_backup_policy(FileSystemId=fs_id, BackupPolicy={"Status": "ENABLING"})
    assert code(e) == ("ValidationException", 400)

    with pytest.raises(ClientError) as e:
        efs.describe_file_system_policy(FileSystemId=fs_id)
    assert code(e) == ("PolicyNotFound", 404)
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                         "Action": ["elasticfilesystem:ClientMount"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})
    assert efs.put_file_system_policy(FileSystemId=fs_id, Policy=policy)["Policy"] == policy
    assert efs.describe_file_system_policy(FileSystemId=fs_id)["Policy"] == policy
    for bad in ["{not json", json.dumps({"Statement": [{"Effect": "Allow", "Action": "elasticfilesystem:ClientMount"}]}),
                json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]})]:
        with pytest.raises(ClientError) as e:
            efs.put_file_system_policy(FileSystemId=fs_id, Policy=bad)
        assert code(e) == ("InvalidPolicyException", 400)
    assert efs.describe_file_system_policy(FileSystemId=fs_id)["Policy"] == policy
    efs.delete_file_system_policy(FileSystemId=fs_id)
    with pytest.raises(ClientError) as e:
        efs.describe_file_system_policy(FileSystemId=fs_id)
    assert code(e) == ("PolicyNotFound", 404)


def test_account_preferences(efs):
    assert efs.describe_account_preferences()["ResourceIdPreference"]["ResourceIdType"] == "LONG_ID"
    got = efs.put_account_preferences(ResourceIdType="SHORT_ID")["ResourceIdPreference"]
    assert got["ResourceIdType"] == "SHORT_ID" and set(got["Resources"]) == {"FILE_SYSTEM", "MOUNT_TARGET"}
    short = efs.create_file_system(CreationToken=uuid.uuid4().hex)["FileSystemId"]
    assert re.fullmatch(r"fs-[0-9a-f]{8}", short)
    efs.put_account_preferences(ResourceIdType="LONG_ID")
