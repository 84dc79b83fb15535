"""A local S3 (moto_server, the S3 protocol as AWS documents it) for the storage tests.

Started as a subprocess on a free port; `environment()` gives the variables that make a
Ribambelle process (another Django instance) use it, as `make prod-up` does."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .mailserver import free_port

BUCKET = "ribambelle-test"
KEYS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_S3_REGION_NAME": "us-east-1"}


def moto_server_command() -> list[str]:
    local = Path(sys.executable).with_name("moto_server")
    return [str(local)] if local.exists() else [shutil.which("moto_server") or "moto_server"]


class S3Server:
    def __init__(self):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self) -> "S3Server":
        self.process = subprocess.Popen(
            [*moto_server_command(), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("moto_server exited") from None
                time.sleep(0.1)
        raise RuntimeError("moto_server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
            region_name=KEYS["AWS_S3_REGION_NAME"],
        )

    def create_bucket(self, name: str = BUCKET) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def environment(self, bucket: str = BUCKET) -> dict[str, str]:
        return {
            "STORAGE_BACKEND": "s3",
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_STORAGE_BUCKET_NAME": bucket,
            **KEYS,
        }

    def storages_setting(self, bucket: str = BUCKET) -> dict:
        """What settings.STORAGES is in a process started with `environment()`."""
        return {
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": bucket,
                    "endpoint_url": self.endpoint,
                    "region_name": KEYS["AWS_S3_REGION_NAME"],
                    "access_key": KEYS["AWS_ACCESS_KEY_ID"],
                    "secret_key": KEYS["AWS_SECRET_ACCESS_KEY"],
                    "default_acl": None,
                    "file_overwrite": False,
                },
            },
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }


@pytest.fixture(scope="module")
def s3_server():
    if not Path(moto_server_command()[0]).exists():
        pytest.skip("moto_server absent (pip install -e '.[test]')")
    server = S3Server().start()
    server.create_bucket()
    yield server
    server.stop()


def django_process_env(extra: dict, var_dir) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({"DJANGO_SETTINGS_MODULE": "ribambelle.config.settings", "RIBAMBELLE_VAR_DIR": str(var_dir), **extra})
    return env
