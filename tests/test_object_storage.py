"""Files in S3-compatible storage (moto_server here): written by one Django instance, read by
another process, keys under the organisation's prefix, served by the views after their checks."""

import hashlib
import io
import subprocess
import sys

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from .conftest import client_for
from .s3server import BUCKET, django_process_env, s3_server  # noqa: F401 - fixture
from .test_settings import ROOT

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _other_process(code: str, s3, tmp_path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env=django_process_env(s3.environment(), tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip()


@pytest.fixture
def on_s3(settings, s3_server):  # noqa: F811
    settings.STORAGES = s3_server.storages_setting()
    return s3_server


def test_a_file_written_here_is_read_by_another_instance(on_s3, tenant_a, tmp_path):
    organisation = tenant_a.organisation
    content = _png()
    organisation.logo.save("logo.png", ContentFile(content))
    name = organisation.logo.name
    assert name.startswith(f"logos/{organisation.pk}/") and name.endswith(".png")
    # In the bucket, seen by a plain S3 client…
    keys = [item["Key"] for item in on_s3.client().list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert name in keys
    # …read by another Django process through the storage API…
    digest = _other_process(
        f"from django.core.files.storage import default_storage as s\n"
        f"import hashlib; print(hashlib.sha256(s.open({name!r}).read()).hexdigest())",
        on_s3,
        tmp_path,
    )
    assert digest == hashlib.sha256(content).hexdigest()
    # …and served by the portal's view from the object store.
    response = client_for(tenant_a.family_user).get(tenant_a.url("logo"))
    assert response.status_code == 200 and b"".join(response.streaming_content) == content


def test_a_file_written_by_another_instance_is_served_here(on_s3, tenant_a, tmp_path):
    name = f"messages/{tenant_a.organisation.pk}/from-worker.txt"
    _other_process(
        f"from django.core.files.base import ContentFile\n"
        f"from django.core.files.storage import default_storage as s\n"
        f"print(s.save({name!r}, ContentFile(b'bonjour de B')))",
        on_s3,
        tmp_path,
    )
    with default_storage.open(name) as handle:
        assert handle.read() == b"bonjour de B"
    default_storage.delete(name)
    assert not default_storage.exists(name)


def test_readyz_checks_the_bucket(on_s3, client, settings):
    from ribambelle.operations.readiness import check_storage

    assert check_storage() == {"ok": True}
    settings.STORAGES = on_s3.storages_setting(bucket="absent")
    assert check_storage()["ok"] is False


def test_storage_backend_from_the_environment(s3_server, tmp_path):  # noqa: F811
    backend = _other_process(
        "from django.core.files.storage import default_storage as s; s.exists('x'); print(type(s._wrapped).__name__)",
        s3_server,
        tmp_path,
    )
    assert backend == "S3Storage"
