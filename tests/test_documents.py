"""Documents: derived expected documents, uploads checked by content, review, reminders, access."""

import io
import struct
import zlib
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from ribambelle.accounts.consent import record_consents
from ribambelle.accounts.models import ActivityLog
from ribambelle.communication.models import OutgoingEmail
from ribambelle.documents import samples, services
from ribambelle.documents.models import (
    DocumentScope,
    PublishedDocument,
    SubmissionStatus,
    SubmittedDocument,
    SubmittedPage,
    Validity,
    Visibility,
    school_year_label,
    school_year_start,
)
from ribambelle.documents.selectors import State, document_sections, missing_documents

from .conftest import client_for, page_text
from .factories import (
    DocumentTypeFactory,
    MembershipFactory,
    PersonFactory,
    PublishedDocumentFactory,
    SubmittedDocumentFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def parent(tenant_a):
    user = tenant_a.family_user
    record_consents(user=user, personal=True, health=True)
    return user


@pytest.fixture
def insurance(tenant_a):
    return DocumentTypeFactory(
        organisation=tenant_a.organisation,
        name="Assurance Responsabilité Civile",
        scope=DocumentScope.FAMILY,
        validity=Validity.SCHOOL_YEAR,
        is_mandatory=True,
        blank_form=None,
        file_extension="",
    )


def _stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "pieces"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _upload(client, tenant, document_type, *files, person=None):
    url = tenant.url(f"mes-documents/membre/{person.pk}/ajouter/" if person else "mes-documents/famille/ajouter/")
    return client.post(url, {"document_type": document_type.pk, "pages": list(files)})


def _png_bomb(width=40_000, height=40_000) -> bytes:
    """A valid PNG header announcing 1.6 billion pixels, in a few hundred bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# --- Derived expected documents ------------------------------------------------------
def test_school_year_label_follows_the_french_school_year():
    assert school_year_label(school_year_start(date(2023, 9, 1))) == "23/24"
    assert school_year_label(school_year_start(date(2024, 8, 31))) == "23/24"
    assert school_year_label(school_year_start(date(2024, 9, 2))) == "24/25"


def test_mes_documents_shows_the_expected_insurance(tenant_a, parent, insurance):
    response = client_for(parent).get(tenant_a.url("mes-documents/"))
    text = page_text(response)
    assert response.status_code == 200
    label = school_year_label(school_year_start(timezone.localdate()))
    assert f"Assurance Responsabilité Civile {label}" in text
    assert "1 document attendu ou en cours de traitement" in text
    assert "Aucun document transmis" in text
    assert "Ajouter un document famille" in text


def test_states_expected_received_accepted_refused_expired(tenant_a, insurance):
    family = tenant_a.family_user.family
    organisation = tenant_a.organisation

    def state():
        return document_sections(organisation=organisation, family=family)[0].documents[0].state

    assert state() == State.EXPECTED
    sent = SubmittedDocumentFactory(organisation=organisation, family=family, document_type=insurance)
    assert state() == State.RECEIVED
    services.refuse_document(submission=sent, acting_user=tenant_a.admin, reason="illegible")
    assert state() == State.REFUSED
    again = SubmittedDocumentFactory(organisation=organisation, family=family, document_type=insurance)
    services.accept_document(submission=again, acting_user=tenant_a.admin)
    assert state() == State.ACCEPTED
    SubmittedDocument.objects.filter(pk=again.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    assert state() == State.EXPIRED


def test_last_school_years_document_does_not_count_this_year(tenant_a, insurance):
    family = tenant_a.family_user.family
    SubmittedDocumentFactory(
        organisation=tenant_a.organisation,
        family=family,
        document_type=insurance,
        period_start=school_year_start(timezone.localdate()).replace(
            year=school_year_start(timezone.localdate()).year - 1
        ),
        status=SubmissionStatus.ACCEPTED,
    )
    doc = document_sections(organisation=tenant_a.organisation, family=family)[0].documents[0]
    assert doc.state == State.EXPECTED


def test_missing_documents_for_a_registration(tenant_a, insurance):
    family = tenant_a.family_user.family
    child = PersonFactory(organisation=tenant_a.organisation, family=family, role="child")
    swimming = DocumentTypeFactory(
        organisation=tenant_a.organisation,
        name="Test de natation",
        scope=DocumentScope.CHILD,
        validity=Validity.PERMANENT,
        is_mandatory=False,
        activity_kinds=["sejour", "stage"],
    )
    organisation = tenant_a.organisation
    names = {d.document_type.name for d in missing_documents(organisation=organisation, family=family, person=child)}
    assert names == {"Assurance Responsabilité Civile"}
    missing = missing_documents(organisation=organisation, family=family, person=child, activity_kind="sejour")
    assert {d.document_type.name for d in missing} == {"Assurance Responsabilité Civile", "Test de natation"}
    sent = SubmittedDocumentFactory(organisation=organisation, family=family, person=child, document_type=swimming)
    services.accept_document(submission=sent, acting_user=tenant_a.admin)
    missing = missing_documents(organisation=organisation, family=family, person=child, activity_kind=["sejour"])
    assert [d.document_type.name for d in missing] == ["Assurance Responsabilité Civile"]
    assert missing[0].state_label == "Aucun document transmis"


# --- Uploads -------------------------------------------------------------------------
def test_photo_upload_strips_gps_and_is_in_progress(tenant_a, parent, insurance, settings):
    client = client_for(parent)
    photo = SimpleUploadedFile("IMG_0042.jpg", samples.jpeg_bytes(with_gps=True), content_type="image/jpeg")
    assert Image.open(io.BytesIO(samples.jpeg_bytes(with_gps=True))).getexif().get_ifd(0x8825)
    response = _upload(client, tenant_a, insurance, photo)
    assert response.status_code == 302
    submission = SubmittedDocument.objects.get(family=parent.family)
    assert submission.status == SubmissionStatus.RECEIVED
    page = submission.pages.get()
    assert "IMG_0042" not in page.file.name and page.file.name.endswith(".jpg")
    with page.file.open("rb") as handle:
        stored = Image.open(io.BytesIO(handle.read()))
        exif = stored.getexif()
        assert not exif.get_ifd(0x8825), "GPS data must be gone"
        assert 0x010F not in exif and 0x0110 not in exif
    text = page_text(client.get(tenant_a.url("mes-documents/")))
    assert "En cours de traitement" in text
    assert ActivityLog.objects.filter(family=parent.family, action="document_sent").exists()


def test_several_pages_pdf_png_and_heic(tenant_a, parent, insurance):
    heic = io.BytesIO()
    Image.new("RGB", (120, 90), (30, 120, 200)).save(heic, format="HEIF")
    files = [
        SimpleUploadedFile("a.pdf", samples.pdf_bytes("Attestation"), content_type="application/pdf"),
        SimpleUploadedFile("b.png", samples.png_bytes("Page 2"), content_type="image/png"),
        SimpleUploadedFile("c.heic", heic.getvalue(), content_type="image/heic"),
    ]
    response = _upload(client_for(parent), tenant_a, insurance, *files)
    assert response.status_code == 302
    pages = list(SubmittedPage.objects.filter(family=parent.family).order_by("number"))
    assert [p.content_type for p in pages] == ["application/pdf", "image/png", "image/jpeg"]


BAD_FILES = [
    (
        "executable renamed .pdf",
        "attestation.pdf",
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
        + b"\x00" * 200
        + b"This program cannot be run in DOS mode",
        "application/pdf",
        "ni un PDF, ni une photo",
    ),
    (
        "svg with script",
        "photo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>',
        "image/svg+xml",
        "ni un PDF, ni une photo",
    ),
    (
        "html page",
        "assurance.pdf",
        b"<!doctype html><html><body><script>fetch('/')</script></body></html>",
        "text/html",
        "ni un PDF, ni une photo",
    ),
    ("pdf header then garbage", "x.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50, "application/pdf", "ne peut pas être lu"),
    ("image bomb", "bombe.png", _png_bomb(), "image/png", "dimensions démesurées"),
    ("empty file", "vide.jpg", b"", "image/jpeg", "est vide"),
]


@pytest.mark.parametrize(
    ("case", "name", "content", "content_type", "message"), BAD_FILES, ids=[c[0] for c in BAD_FILES]
)
def test_bad_files_are_refused_with_a_french_message_and_nothing_stored(
    case, name, content, content_type, message, tenant_a, parent, insurance, settings
):
    client = client_for(parent)
    response = _upload(client, tenant_a, insurance, SimpleUploadedFile(name, content, content_type=content_type))
    assert response.status_code == 400
    assert message in page_text(response)
    assert not SubmittedDocument.objects.exists() and not SubmittedPage.objects.exists()
    assert _stored_files(settings) == []


def test_file_over_the_limit_is_refused(tenant_a, parent, insurance, settings):
    big = samples.pdf_bytes("Gros") + b"\x00" * (10 * 1024 * 1024)
    response = _upload(client_for(parent), tenant_a, insurance, SimpleUploadedFile("gros.pdf", big))
    assert response.status_code == 400
    assert "trop lourd" in page_text(response) and "10,0" in page_text(response)
    assert not SubmittedDocument.objects.exists() and _stored_files(settings) == []


def test_one_bad_page_refuses_the_whole_sending(tenant_a, parent, insurance, settings):
    good = SimpleUploadedFile("a.png", samples.png_bytes("ok"))
    bad = SimpleUploadedFile("b.png", b"<html></html>")
    response = _upload(client_for(parent), tenant_a, insurance, good, bad)
    assert response.status_code == 400
    assert "Le fichier n°2" in page_text(response)
    assert not SubmittedPage.objects.exists() and _stored_files(settings) == []


def test_no_file_and_wrong_scope_are_refused(tenant_a, parent, insurance):
    client = client_for(parent)
    response = client.post(tenant_a.url("mes-documents/famille/ajouter/"), {"document_type": insurance.pk})
    assert response.status_code == 400 and "Ajoutez au moins un fichier" in page_text(response)
    child = PersonFactory(organisation=tenant_a.organisation, family=parent.family)
    response = _upload(client, tenant_a, insurance, SimpleUploadedFile("a.png", samples.png_bytes("x")), person=child)
    assert response.status_code == 400  # a family-wide type is not offered in a child's section
    assert not SubmittedDocument.objects.exists()


def test_a_new_sending_replaces_the_one_waiting(tenant_a, parent, insurance):
    client = client_for(parent)
    _upload(client, tenant_a, insurance, SimpleUploadedFile("a.png", samples.png_bytes("1")))
    _upload(client, tenant_a, insurance, SimpleUploadedFile("b.png", samples.png_bytes("2")))
    statuses = list(SubmittedDocument.objects.order_by("id").values_list("status", flat=True))
    assert statuses == [SubmissionStatus.REPLACED, SubmissionStatus.RECEIVED]


# --- Serving files ------------------------------------------------------------------------
def test_family_file_is_served_with_protective_headers(tenant_a, parent, insurance):
    sent = SubmittedDocumentFactory(organisation=tenant_a.organisation, family=parent.family, document_type=insurance)
    page = sent.pages.get()
    response = client_for(parent).get(tenant_a.url(f"mes-documents/fichier/{page.pk}/"))
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline;")
    assert 'filename="assurance-responsabilite-civile' in response["Content-Disposition"]
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-store"
    staff = client_for(tenant_a.admin).get(tenant_a.url(f"gestion/documents/fichier/{page.pk}/"))
    assert staff.status_code == 200 and staff["Content-Disposition"].startswith("attachment;")


def test_anonymous_never_gets_a_file(client, tenant_a, insurance):
    sent = SubmittedDocumentFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    page = sent.pages.get()
    hidden = PublishedDocumentFactory(organisation=tenant_a.organisation, visibility=Visibility.FAMILIES)
    urls = [
        f"mes-documents/fichier/{page.pk}/",
        f"mes-documents/formulaire/{sent.document_type.pk}/",
        f"gestion/documents/fichier/{page.pk}/",
        f"gestion/documents/{sent.pk}/",
        f"gestion/types-de-documents/{sent.document_type.pk}/formulaire/",
        "mes-documents/",
        "documentation/",
    ]
    for url in urls:
        response = client.get(tenant_a.url(url))
        assert response.status_code == 302 and "/connexion/" in response["Location"], url
    assert client.get(tenant_a.url(f"documentation/{hidden.pk}/")).status_code == 404


def test_outsider_and_other_family_get_nothing(tenant_a, insurance):
    sent = SubmittedDocumentFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    page = sent.pages.get()
    record_consents(user=tenant_a.other_family_user, personal=True, health=True)
    neighbour = client_for(tenant_a.other_family_user)
    assert neighbour.get(tenant_a.url(f"mes-documents/fichier/{page.pk}/")).status_code == 404
    outsider = client_for(tenant_a.outsider)
    assert outsider.get(tenant_a.url(f"gestion/documents/fichier/{page.pk}/")).status_code == 403
    assert outsider.get(tenant_a.url(f"mes-documents/fichier/{page.pk}/")).status_code == 403


def test_health_documents_need_the_health_permission(tenant_a):
    vaccines = DocumentTypeFactory(organisation=tenant_a.organisation, name="Vaccins", is_health=True)
    sent = SubmittedDocumentFactory(organisation=tenant_a.organisation, document_type=vaccines)
    finance = MembershipFactory(organisation=tenant_a.organisation, role="finance").user
    client = client_for(finance)
    assert client.get(tenant_a.url(f"gestion/documents/fichier/{sent.pages.get().pk}/")).status_code == 404
    assert client.get(tenant_a.url(f"gestion/documents/{sent.pk}/")).status_code == 404
    agent = client_for(tenant_a.agent)
    assert agent.get(tenant_a.url(f"gestion/documents/fichier/{sent.pages.get().pk}/")).status_code == 200
    from ribambelle.core.models import AuditEntry

    assert AuditEntry.objects.filter(action="view", object_id=str(sent.pk), actor=tenant_a.agent).exists()


# --- Review ---------------------------------------------------------------------------------
def test_queue_is_oldest_first_and_review_accepts_until_end_of_school_year(tenant_a, insurance, parent):
    organisation = tenant_a.organisation
    old = SubmittedDocumentFactory(organisation=organisation, family=parent.family, document_type=insurance)
    SubmittedDocument.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    other_type = DocumentTypeFactory(organisation=organisation, name="Attestation CAF", is_mandatory=False)
    SubmittedDocumentFactory(organisation=organisation, document_type=other_type)
    admin = client_for(tenant_a.admin)
    text = page_text(admin.get(tenant_a.url("gestion/documents/")))
    assert text.index("Assurance Responsabilité Civile") < text.index("Attestation CAF")

    review = admin.get(tenant_a.url(f"gestion/documents/{old.pk}/"))
    assert review.status_code == 200 and "<img" in review.content.decode()
    response = admin.post(tenant_a.url(f"gestion/documents/{old.pk}/"), {"accept": "1", "accept-expires_on": ""})
    assert response.status_code == 302
    old.refresh_from_db()
    end = date(school_year_start(timezone.localdate()).year + 1, 8, 31)
    assert old.status == SubmissionStatus.ACCEPTED and old.expires_on == end
    assert OutgoingEmail.objects.filter(template="document_accepted", to=parent.email).exists()
    text = page_text(client_for(parent).get(tenant_a.url("mes-documents/")))
    assert f"Accepté, valable jusqu'au {end:%d/%m/%Y}" in text
    assert "Aucun document attendu ou en cours de traitement" in text


def test_refusal_needs_a_reason_and_emails_the_family(tenant_a, insurance, parent):
    sent = SubmittedDocumentFactory(organisation=tenant_a.organisation, family=parent.family, document_type=insurance)
    admin = client_for(tenant_a.admin)
    url = tenant_a.url(f"gestion/documents/{sent.pk}/")
    response = admin.post(url, {"refuse": "1", "refuse-reason": "other", "refuse-note": ""})
    assert response.status_code == 400 and "Précisez la raison" in page_text(response)
    sent.refresh_from_db()
    assert sent.status == SubmissionStatus.RECEIVED
    response = admin.post(url, {"refuse": "1", "refuse-reason": "expired", "refuse-note": "Attestation 2022"})
    assert response.status_code == 302
    mail = OutgoingEmail.objects.get(template="document_refused")
    assert mail.to == parent.email and "Document périmé : Attestation 2022" in mail.body_text
    text = page_text(client_for(parent).get(tenant_a.url("mes-documents/")))
    assert "Refusé — Document périmé : Attestation 2022" in text
    assert "1 document attendu ou en cours de traitement" in text


def test_agent_can_look_but_not_decide(tenant_a, insurance):
    sent = SubmittedDocumentFactory(organisation=tenant_a.organisation, document_type=insurance)
    agent = client_for(tenant_a.agent)
    assert agent.get(tenant_a.url(f"gestion/documents/{sent.pk}/")).status_code == 200
    assert agent.post(tenant_a.url(f"gestion/documents/{sent.pk}/"), {"accept": "1"}).status_code == 403
    sent.refresh_from_db()
    assert sent.status == SubmissionStatus.RECEIVED


def test_staff_upload_on_behalf_of_a_family(tenant_a, insurance, parent):
    admin = client_for(tenant_a.admin)
    url = tenant_a.url(f"gestion/familles/{parent.family.pk}/documents/")
    response = admin.post(
        url,
        {
            "person": "0",
            "document_type": insurance.pk,
            "pages": [SimpleUploadedFile("scan.pdf", samples.pdf_bytes("x"))],
        },
    )
    assert response.status_code == 302
    sent = SubmittedDocument.objects.get(family=parent.family)
    assert sent.by_staff and sent.submitted_by == tenant_a.admin
    assert (
        "Document déposé par le service"
        in ActivityLog.objects.get(family=parent.family, action="document_deposited_by_staff").description
    )
    assert "Tous les envois" in page_text(admin.get(url))


# --- Reminders ----------------------------------------------------------------------------------
def test_expiry_reminder_is_sent_once(tenant_a, parent):
    caf = DocumentTypeFactory(
        organisation=tenant_a.organisation, name="Attestation CAF", validity=Validity.MONTHS, validity_months=12
    )
    sent = SubmittedDocumentFactory(organisation=tenant_a.organisation, family=parent.family, document_type=caf)
    services.accept_document(
        submission=sent, acting_user=tenant_a.admin, expires_on=timezone.localdate() + timedelta(days=10)
    )
    far = SubmittedDocumentFactory(organisation=tenant_a.organisation, document_type=caf)
    services.accept_document(submission=far, acting_user=tenant_a.admin)  # 12 months ahead: no reminder yet
    call_command("document_reminders", stdout=io.StringIO())
    mails = OutgoingEmail.objects.filter(template="document_expiring")
    assert [m.to for m in mails] == [parent.email]
    assert "dans 10 jours" in mails[0].body_text
    assert services.send_expiry_reminders() == 0


def test_reminder_command_can_enqueue_the_task(tenant_a):
    out = io.StringIO()
    call_command("document_reminders", "--enqueue", stdout=out)
    assert "mise en file" in out.getvalue()


# --- Documentation structure --------------------------------------------------------------------
def test_published_documents_public_on_login_page_and_window(client, tenant_a, parent):
    organisation = tenant_a.organisation
    public = PublishedDocumentFactory(organisation=organisation, title="Planning été", visibility=Visibility.PUBLIC)
    families = PublishedDocumentFactory(organisation=organisation, title="Fiche sanitaire vierge")
    old = PublishedDocumentFactory(
        organisation=organisation,
        title="Ancien flyer",
        visibility=Visibility.PUBLIC,
        published_from=timezone.localdate() - timedelta(days=30),
        published_until=timezone.localdate() - timedelta(days=1),
    )
    login_page = page_text(client.get(tenant_a.url()))
    assert "Accès aux documents" in login_page and "Planning été" in login_page
    assert "Fiche sanitaire vierge" not in login_page and "Ancien flyer" not in login_page
    response = client.get(tenant_a.url(f"documentation/{public.pk}/"))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    assert client.get(tenant_a.url(f"documentation/{families.pk}/")).status_code == 404
    assert client.get(tenant_a.url(f"documentation/{old.pk}/")).status_code == 404
    family = client_for(parent)
    text = page_text(family.get(tenant_a.url("documentation/")))
    assert "Fiche sanitaire vierge" in text and "Ancien flyer" not in text
    assert family.get(tenant_a.url(f"documentation/{families.pk}/")).status_code == 200


def test_staff_publish_a_form_to_return(tenant_a, insurance):
    admin = client_for(tenant_a.admin)
    response = admin.post(
        tenant_a.url("gestion/documentation/nouveau/"),
        {
            "title": "Fiche sanitaire vierge",
            "category": "form",
            "visibility": "families",
            "published_from": timezone.localdate().isoformat(),
            "to_return": insurance.pk,
            "upload": SimpleUploadedFile("fiche.pdf", samples.pdf_bytes("Fiche sanitaire")),
        },
    )
    assert response.status_code == 302, page_text(response)
    published = PublishedDocument.objects.get()
    assert published.content_type == "application/pdf" and published.to_return == insurance
    response = admin.post(
        tenant_a.url("gestion/documentation/nouveau/"),
        {
            "title": "Piège",
            "category": "form",
            "visibility": "public",
            "published_from": timezone.localdate().isoformat(),
            "upload": SimpleUploadedFile("x.pdf", b"<svg><script>alert(1)</script></svg>"),
        },
    )
    assert response.status_code == 400 and "ni un PDF" in page_text(response)
    assert PublishedDocument.objects.count() == 1


def test_staff_create_document_type(tenant_a):
    admin = client_for(tenant_a.admin)
    response = admin.post(
        tenant_a.url("gestion/types-de-documents/nouveau/"),
        {
            "name": "Test de natation",
            "scope": "child",
            "validity": "months",
            "validity_months": "",
            "activity_kinds": ["sejour", "stage"],
            "reminder_days": "30",
            "is_active": "on",
        },
    )
    assert response.status_code == 400 and "Indiquez la durée de validité en mois." in page_text(response)
    response = admin.post(
        tenant_a.url("gestion/types-de-documents/nouveau/"),
        {
            "name": "Test de natation",
            "scope": "child",
            "validity": "permanent",
            "activity_kinds": ["sejour", "stage"],
            "reminder_days": "0",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert "Test de natation" in page_text(admin.get(tenant_a.url("gestion/types-de-documents/")))


# --- Query counts -------------------------------------------------------------------------------
def test_pages_query_count_does_not_grow(tenant_a, parent, insurance, django_assert_max_num_queries):
    organisation = tenant_a.organisation
    for index in range(6):
        child = PersonFactory(organisation=organisation, family=parent.family, first_name=f"Enfant{index}")
        kind = DocumentTypeFactory(organisation=organisation, scope=DocumentScope.CHILD, name=f"Pièce {index}")
        SubmittedDocumentFactory(organisation=organisation, family=parent.family, person=child, document_type=kind)
        SubmittedDocumentFactory(organisation=organisation, document_type=insurance)
    family_client, staff_client = client_for(parent), client_for(tenant_a.admin)
    family_url = tenant_a.url(f"gestion/familles/{parent.family.pk}/documents/")
    for client, url in [(family_client, tenant_a.url("mes-documents/")), (staff_client, family_url)]:
        client.get(url)  # warm the session
    with django_assert_max_num_queries(12):
        assert family_client.get(tenant_a.url("mes-documents/")).status_code == 200
    with django_assert_max_num_queries(13):
        assert staff_client.get(tenant_a.url("gestion/documents/")).status_code == 200
    with django_assert_max_num_queries(19):
        assert staff_client.get(family_url).status_code == 200
