import datetime
import json
import os
import tempfile
import uuid

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import Server, wait_for


def code(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def signed(server, method, path, body=b"", key=None, secret=None, region="us-east-1", when=None):
    if key is None:
        key, secret = server.credentials()
    request = AWSRequest(method=method, url=server.endpoint + path, data=body, headers={"Content-Type": "application/json"})
    auth = SigV4Auth(Credentials(key, secret), "elasticfilesystem", region)
    if when:
        # Sign as botocore would have at an earlier moment.
        stamp = when.strftime("%Y%m%dT%H%M%SZ")
        request.context["timestamp"] = stamp
        request.headers["X-Amz-Date"] = stamp
        request.headers["Host"] = server.endpoint.split("//")[1]
        canonical = auth.canonical_request(request)
        signature = auth.signature(auth.string_to_sign(request, canonical), request)
        scope = f"{key}/{stamp[:8]}/{region}/elasticfilesystem/aws4_request"
        request.headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={scope}, "
                                            f"SignedHeaders={auth.signed_headers(auth.headers_to_sign(request))}, Signature={signature}")
    else:
        auth.add_auth(request)
    return request


def send(request, body=None):
    return requests.request(request.method, request.url, headers=dict(request.headers),
                            data=request.body if body is None else body)


def test_unsigned_requests_are_refused(server):
    r = requests.get(server.endpoint + "/2015-02-01/file-systems")
    assert r.status_code == 403 and r.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_unknown_keys_wrong_secrets_and_wrong_regions_are_refused(server):
    with pytest.raises(ClientError) as e:
        server.client(key="AKIAAAAAAAAAAAAAAAAA", secret="x" * 40).describe_file_systems()
    assert code(e) == ("UnrecognizedClientException", 403)
    key, _ = server.credentials()
    with pytest.raises(ClientError) as e:
        server.client(key=key, secret="y" * 40).describe_file_systems()
    assert code(e) == ("InvalidSignatureException", 403)
    with pytest.raises(ClientError) as e:
        server.client(region="eu-west-1").describe_file_systems()
    assert code(e) == ("InvalidSignatureException", 403)


def test_tampered_and_expired_requests_are_refused(server):
    body = json.dumps({"CreationToken": "tamper-" + uuid.uuid4().hex[:6]}).encode()
    request = signed(server, "POST", "/2015-02-01/file-systems", body)
    r = send(request, body=body.replace(b"tamper", b"evil-x"))
    assert r.status_code == 403 and r.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    r = send(signed(server, "GET", "/2015-02-01/file-systems", when=old))
    assert r.status_code == 403 and "expired" in r.json()["Message"].lower()
    assert send(signed(server, "GET", "/2015-02-01/file-systems")).status_code == 200


def test_malformed_json_and_wrong_types_are_bad_requests(server):
    # A body that is not a JSON object is a serialization error, as AWS answers it; a JSON object that does not
    # fit the model is a BadRequest.
    for body, expected in [(b"{not json", "SerializationException"), (b"[1,2]", "SerializationException"),
                           (json.dumps({"CreationToken": 5}).encode(), "BadRequest"), (json.dumps({}).encode(), "BadRequest"),
                           (json.dumps({"CreationToken": "t", "Bogus": 1}).encode(), "BadRequest")]:
        r = send(signed(server, "POST", "/2015-02-01/file-systems", body))
        assert r.status_code == 400, body
        assert r.headers["x-amzn-ErrorType"] == expected and r.json()["ErrorCode"] == expected and r.json()["Message"]
    r = send(signed(server, "GET", "/2015-02-01/nonsense"))
    assert r.status_code == 404


def test_iam_policies_limit_what_a_user_may_do(server, efs):
    server.iam("create-user", "reader")
    keys = dict(line.split(": ") for line in server.iam("create-access-key", "reader").strip().splitlines())
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "elasticfilesystem:Describe*", "Resource": "*"},
            {"Effect": "Allow", "Action": "elasticfilesystem:DeleteFileSystem", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/env": "dev"}}},
            {"Effect": "Deny", "Action": "elasticfilesystem:DescribeBackupPolicy", "Resource": "*"}]}, f)
    server.iam("put-user-policy", "reader", "ReadOnly", f.name)
    reader = server.client(key=keys["AccessKeyId"], secret=keys["SecretAccessKey"])
    assert isinstance(reader.describe_file_systems()["FileSystems"], list)
    with pytest.raises(ClientError) as e:
        reader.create_file_system(CreationToken="nope")
    assert code(e) == ("AccessDeniedException", 403)
    assert "not authorized to perform: elasticfilesystem:CreateFileSystem" in e.value.response["Error"]["Message"]
    dev = efs.create_file_system(CreationToken=uuid.uuid4().hex, Tags=[{"Key": "env", "Value": "dev"}])["FileSystemId"]
    prod = efs.create_file_system(CreationToken=uuid.uuid4().hex, Tags=[{"Key": "env", "Value": "prod"}])["FileSystemId"]
    wait_for(efs, dev), wait_for(efs, prod)
    with pytest.raises(ClientError) as e:
        reader.delete_file_system(FileSystemId=prod)
    assert code(e) == ("AccessDeniedException", 403)
    reader.delete_file_system(FileSystemId=dev)
    with pytest.raises(ClientError) as e:
        reader.describe_backup_policy(FileSystemId=prod)
    assert code(e) == ("AccessDeniedException", 403)


def test_resources_survive_a_restart():
    with tempfile.TemporaryDirectory() as data_dir:
        s = Server(data_dir)
        s.start()
        efs = s.client()
        fs_id = efs.create_file_system(CreationToken="persist", Tags=[{"Key": "Name", "Value": "kept"}])["FileSystemId"]
        wait_for(efs, fs_id)
        mt = efs.create_mount_target(FileSystemId=fs_id, SubnetId="subnet-00000000000000b01")["MountTargetId"]
        ap = efs.create_access_point(ClientToken="persist-ap", FileSystemId=fs_id, PosixUser={"Uid": 7, "Gid": 7})["AccessPointId"]
        efs.put_lifecycle_configuration(FileSystemId=fs_id, LifecyclePolicies=[{"TransitionToIA": "AFTER_14_DAYS"}])
        key = s.credentials()
        s.stop()
        s.start()
        assert s.credentials() == key
        efs = s.client()
        fs = efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]
        assert fs["Name"] == "kept" and fs["LifeCycleState"] == "available" and fs["NumberOfMountTargets"] == 1
        assert efs.describe_mount_targets(MountTargetId=mt)["MountTargets"][0]["LifeCycleState"] == "available"
        assert efs.describe_access_points(AccessPointId=ap)["AccessPoints"][0]["PosixUser"] == {"Uid": 7, "Gid": 7}
        assert efs.describe_lifecycle_configuration(FileSystemId=fs_id)["LifecyclePolicies"] == [{"TransitionToIA": "AFTER_14_DAYS"}]
        with pytest.raises(ClientError) as e:
            efs.create_file_system(CreationToken="persist")
        assert e.value.response["Error"]["Code"] == "FileSystemAlreadyExists"
        assert oct(os.stat(os.path.join(data_dir, "admin-credentials")).st_mode & 0o777) == "0o600"
        s.stop()
