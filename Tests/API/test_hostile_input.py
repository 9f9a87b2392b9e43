"""Input an attacker or a broken client sends: paths the model's patterns forbid, values with a trailing
newline, JSON that is not RFC 8259 UTF-8, bodies declared huge or never finished. Each gets a clear error
at once and changes nothing."""
import json
import socket
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import wait_for
from test_auth_and_persistence import send, signed


def code(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture(scope="module")
def fs_id(efs):
    fs = efs.create_file_system(CreationToken=uuid.uuid4().hex)["FileSystemId"]
    wait_for(efs, fs)
    return fs


@pytest.mark.parametrize("path", ["/a$b", "/a;b", "/a|b", "/a*b", "//", "/a//b", "/ok\n..", "/x\n", "/a/../b", "/.",
                                  "relative", "/" + "a" * 101])
def test_access_point_root_paths_outside_the_pattern_are_refused(efs, fs_id, path):
    with pytest.raises(ClientError) as e:
        efs.create_access_point(FileSystemId=fs_id, ClientToken=uuid.uuid4().hex, RootDirectory={"Path": path})
    assert code(e) == ("BadRequest", 400), path
    assert efs.describe_access_points(FileSystemId=fs_id)["AccessPoints"] == []


def test_a_good_root_path_still_works(efs, fs_id):
    ap = efs.create_access_point(FileSystemId=fs_id, ClientToken=uuid.uuid4().hex, RootDirectory={"Path": "/srv/app-1"})
    assert ap["RootDirectory"]["Path"] == "/srv/app-1"
    efs.delete_access_point(AccessPointId=ap["AccessPointId"])


def test_values_with_a_trailing_newline_fail_their_pattern(efs, fs_id):
    with pytest.raises(ClientError) as e:
        efs.create_access_point(FileSystemId=fs_id, ClientToken=uuid.uuid4().hex,
                                RootDirectory={"Path": "/p", "CreationInfo": {"OwnerUid": 1, "OwnerGid": 1, "Permissions": "755\n"}})
    assert code(e) == ("BadRequest", 400)
    with pytest.raises(ClientError) as e:
        efs.describe_file_systems(FileSystemId=fs_id + "\n")
    assert code(e) == ("BadRequest", 400)


def test_json_that_is_not_strict_utf8_json_creates_nothing(server, efs):
    token = "lenient-" + uuid.uuid4().hex[:8]
    bodies = [
        b'{"CreationToken": "%s",}' % token.encode(),                      # a trailing comma
        json.dumps({"CreationToken": token}).encode("utf-16"),             # UTF-16 with a byte-order mark
        json.dumps({"CreationToken": token}).encode("utf-16-le"),          # UTF-16 without one
        b'\xef\xbb\xbf' + json.dumps({"CreationToken": token}).encode(),  # a UTF-8 byte-order mark
        b'{"CreationToken": "%s"} {}' % token.encode(),                    # two values
    ]
    for body in bodies:
        r = send(signed(server, "POST", "/2015-02-01/file-systems", body))
        assert r.status_code == 400 and r.headers["x-amzn-ErrorType"] == "SerializationException", body
    assert efs.describe_file_systems(CreationToken=token)["FileSystems"] == []


def raw_request(server, head, body=b""):
    host, port = server.endpoint.split("//")[1].split(":")
    s = socket.create_connection((host, int(port)), timeout=15)
    s.sendall(head.encode() + body)
    return s


def read_response(s):
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk
        if b"\r\n\r\n" in data:
            head, _, rest = data.partition(b"\r\n\r\n")
            length = next((int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")), 0)
            if len(rest) >= length:
                return data


def test_a_huge_declared_body_is_refused_at_once(server):
    started = time.time()
    s = raw_request(server, "POST /2015-02-01/file-systems HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            "Content-Length: 10000000000\r\n\r\n")
    response = read_response(s)
    assert response.startswith(b"HTTP/1.1 413") and time.time() - started < 2, response[:200]
    s.close()


def test_a_stalled_body_is_answered_and_its_connection_closed(server):
    started = time.time()
    s = raw_request(server, "POST /2015-02-01/file-systems HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            "Content-Length: 100\r\n\r\n", b'{"Creation')
    response = read_response(s)
    elapsed = time.time() - started
    assert response.startswith(b"HTTP/1.1 408"), response[:200]
    assert 3 < elapsed < 12
    assert s.recv(1) == b""  # closed
    s.close()
