"""Runs a real `strata serve` (fresh data directory, free loopback ports) and hands tests boto3 clients
signed with the admin key it created."""
import configparser
import os
import socket
import subprocess
import tempfile
import time

import boto3
import pytest
from botocore.config import Config

STRATA = os.environ.get("STRATA_BIN", os.path.join(os.path.dirname(__file__), "../../.build/debug/strata"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.api_port = free_port()
        self.nfs_port = free_port()
        self.process = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.api_port}"

    def start(self):
        self.log = open(os.path.join(self.data_dir, "serve.log"), "a")
        self.process = subprocess.Popen(
            [STRATA, "serve", "--data-dir", self.data_dir, "--api-listen", f"127.0.0.1:{self.api_port}",
             "--nfs-listen", f"127.0.0.1:{self.nfs_port}", "--grace-seconds", "0"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.api_port), timeout=0.2).close()
                return
            except OSError:
                assert self.process.poll() is None, open(os.path.join(self.data_dir, "serve.log")).read()
                time.sleep(0.1)
        raise RuntimeError("strata serve did not start")

    def stop(self):
        if self.process:
            self.process.terminate()
            assert self.process.wait(timeout=30) == 0
            self.process = None

    def credentials(self):
        parser = configparser.ConfigParser()
        parser.read(os.path.join(self.data_dir, "admin-credentials"))
        return parser["default"]["aws_access_key_id"], parser["default"]["aws_secret_access_key"]

    def client(self, key=None, secret=None, region="us-east-1"):
        if key is None:
            key, secret = self.credentials()
        return boto3.client("efs", endpoint_url=self.endpoint, region_name=region, aws_access_key_id=key,
                            aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))

    def iam(self, *args):
        out = subprocess.run([STRATA, "iam", *args, "--data-dir", self.data_dir], capture_output=True, text=True, check=True)
        return out.stdout


@pytest.fixture(scope="module")
def server():
    with tempfile.TemporaryDirectory() as data_dir:
        s = Server(data_dir)
        s.start()
        yield s
        s.stop()


@pytest.fixture(scope="module")
def efs(server):
    return server.client()


def wait_for(efs, fs_id, state="available", timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        fs = efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]
        if fs["LifeCycleState"] == state:
            return fs
        time.sleep(0.1)
    raise AssertionError(f"{fs_id} never became {state}")


def wait_mount_target(efs, mt_id, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        mt = efs.describe_mount_targets(MountTargetId=mt_id)["MountTargets"][0]
        if mt["LifeCycleState"] == "available":
            return mt
        time.sleep(0.1)
    raise AssertionError(f"{mt_id} never became available")
