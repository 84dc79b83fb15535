"""Images are judged by their pixel count before anything is decoded, per file and per request,
on documents and message attachments alike; attachments lose their EXIF as documents do.

A 7 000 × 7 000 PNG weighs 160 KB but took 5 s and 625 MB of a worker's memory to decode."""

import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from ribambelle.accounts.consent import record_consents
from ribambelle.communication.models import Message, MessageThread
from ribambelle.documents import files, samples
from ribambelle.documents.models import DocumentScope, SubmittedDocument, SubmittedPage, Validity

from .conftest import client_for, page_text, robot_proof
from .factories import DocumentTypeFactory, StructureFactory

TOO_BIG = "image aux dimensions démesurées"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def parent(tenant_a):
    record_consents(user=tenant_a.family_user, personal=True, health=True)
    return client_for(tenant_a.family_user)


@pytest.fixture
def insurance(tenant_a):
    return DocumentTypeFactory(
        organisation=tenant_a.organisation,
        name="Assurance",
        scope=DocumentScope.FAMILY,
        validity=Validity.SCHOOL_YEAR,
        blank_form=None,
        file_extension="",
    )


def _png(width: int, height: int) -> bytes:
    """A real, fully decodable PNG; one colour, so a few hundred KB on disk at most."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def png_49_megapixels():
    data = _png(7_000, 7_000)
    assert len(data) < 300_000
    return data


def _upload_document(client, tenant, document_type, *contents):
    pages = [SimpleUploadedFile(f"page{i}.png", c, content_type="image/png") for i, c in enumerate(contents)]
    data = {"document_type": document_type.pk, "pages": pages}
    return client.post(tenant.url("mes-documents/famille/ajouter/"), data)


def _send_message(client, tenant, attachment):
    structure = StructureFactory(organisation=tenant.organisation)
    data = {"structure": structure.pk, "subject": "Photo", "body": "Bonjour", "robot": robot_proof()}
    return client.post(tenant.url("messages/nouveau/"), {**data, "attachment": attachment})


def test_a_49_megapixel_document_is_refused_before_decoding(tenant_a, parent, insurance, png_49_megapixels):
    started = time.perf_counter()
    response = _upload_document(parent, tenant_a, insurance, png_49_megapixels)
    elapsed = time.perf_counter() - started
    assert response.status_code == 400 and TOO_BIG in page_text(response)
    assert not SubmittedDocument.objects.exists() and not SubmittedPage.objects.exists()
    assert elapsed < 1.5, f"{elapsed:.2f} s: the image was decoded"


def test_a_49_megapixel_attachment_is_refused_before_decoding(tenant_a, parent, png_49_megapixels):
    started = time.perf_counter()
    response = _send_message(parent, tenant_a, SimpleUploadedFile("plan.png", png_49_megapixels, "image/png"))
    elapsed = time.perf_counter() - started
    assert response.status_code == 400 and TOO_BIG in page_text(response)
    assert not MessageThread.objects.exists()
    assert elapsed < 1.5, f"{elapsed:.2f} s: the image was decoded"


def test_pillow_refuses_past_the_same_limit_anywhere_in_the_process(png_49_megapixels):
    assert Image.MAX_IMAGE_PIXELS == files.MAX_PIXELS < 49_000_000
    with pytest.warns(Image.DecompressionBombWarning):
        Image.open(io.BytesIO(png_49_megapixels)).close()


def test_all_files_of_one_request_share_a_pixel_budget(tenant_a, parent, insurance, monkeypatch):
    # Three 1.2 MP pages against a 3 MP budget (the real one is 120 MP: ten 12 MP photos).
    monkeypatch.setattr(files, "MAX_REQUEST_PIXELS", 3_000_000)
    page = _png(1_200, 1_000)
    response = _upload_document(parent, tenant_a, insurance, page, page, page)
    assert response.status_code == 400
    assert "Le fichier n°3 dépasse ce qui peut être traité en un seul envoi" in page_text(response)
    assert not SubmittedPage.objects.exists()
    assert _upload_document(parent, tenant_a, insurance, page, page).status_code == 302


def test_attachment_photo_loses_gps_and_camera(tenant_a, parent):
    photo = samples.jpeg_bytes(with_gps=True)
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825)
    response = _send_message(parent, tenant_a, SimpleUploadedFile("IMG_0042.jpg", photo, "image/jpeg"))
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.attachment_name == "IMG_0042.jpg" and message.attachment_type == "image/jpeg"
    with message.attachment.open("rb") as handle:
        stored = handle.read()
    assert message.attachment_size == len(stored)
    exif = Image.open(io.BytesIO(stored)).getexif()
    assert not exif.get_ifd(0x8825), "GPS data must be gone"
    assert 0x010F not in exif and 0x0110 not in exif  # camera make and model
    download = parent.get(tenant_a.url(f"messages/piece-jointe/{message.pk}/"))
    assert b"".join(download.streaming_content) == stored
