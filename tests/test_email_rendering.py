"""Subjects and text parts are plain text, never HTML-escaped; the HTML part stays escaped.

Every e-mail kind the project sends is rendered with `'`, `&`, `<` and `"` in its data and in the
organisation's name, delivered through the outbox to a real SMTP server, and read back as a
mail client would."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import include, path
from django.utils import timezone

from ribambelle.config import urls as project_urls
from ribambelle.outbox.services import deliver_due_emails, queue_email

NASTY = 'L\'été "Soleil" <b>grave</b> & Cie'
NASTY_HTML = "L&#x27;été &quot;Soleil&quot; &lt;b&gt;grave&lt;/b&gt; &amp; Cie"
ESCAPES = ("&#x27;", "&#39;", "&amp;", "&lt;", "&gt;", "&quot;")
EMAIL_TEMPLATES = Path(settings.BASE_DIR) / "templates" / "emails"


def _person(**extra):
    return SimpleNamespace(first_name=NASTY, last_name=NASTY, email="parent@famille.example", **extra)


def _contexts() -> dict[str, dict]:
    now = timezone.now()
    user = _person(get_full_name=lambda: NASTY)
    registration = SimpleNamespace(
        child=_person(),
        activity=SimpleNamespace(name=NASTY, start_date=date(2027, 7, 5), end_date=date(2027, 7, 30)),
        group=SimpleNamespace(name=NASTY),
        refusal_label=NASTY,
    )
    submission = SimpleNamespace(period_label=NASTY, person=_person(), expires_on=date(2027, 1, 31), refusal_text=NASTY)
    change = SimpleNamespace(
        subject=NASTY, reason=NASTY, changes={"phone": {"label": NASTY, "old": NASTY, "new": NASTY}}
    )
    thread = SimpleNamespace(subject=NASTY, structure=SimpleNamespace(name=NASTY), family=SimpleNamespace(name=NASTY))
    message = SimpleNamespace(body=NASTY, attachment_name=NASTY)
    invoice = SimpleNamespace(
        number="F-2026-0001",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        due_date=date(2026, 11, 30),
        balance=Decimal("12.50"),
    )
    billing = SimpleNamespace(payment_instructions=NASTY)
    link = {"user": user, "url": "https://exemple.fr/lien/", "expires_at": now + timedelta(days=7)}
    return {
        "booking_summary": {"user": user, "child": _person(), "booked": [NASTY], "waitlisted": [NASTY]},
        "booking_reminder": {
            "user": user,
            "deadline_label": "mardi 8 décembre 2026 à 12:00",
            "children": [{"first_name": NASTY, "lines": [NASTY], "url": "https://exemple.fr/"}],
            "account_url": "https://exemple.fr/",
        },
        "reminder_digest": {
            "reminders": [{"family": NASTY, "deadline_label": NASTY, "days": [{"child": NASTY, "lines": [NASTY]}]}],
            "settings_url": "https://exemple.fr/",
        },
        "change_accepted": {"family": SimpleNamespace(name=NASTY), "change": change, "url": "https://exemple.fr/"},
        "change_refused": {"family": SimpleNamespace(name=NASTY), "change": change, "url": "https://exemple.fr/"},
        "document_accepted": {"submission": submission, "document_type": SimpleNamespace(name=NASTY), "path": "/"},
        "document_expiring": {
            "submission": submission,
            "document_type": SimpleNamespace(name=NASTY),
            "path": "/",
            "days_left": 3,
        },
        "document_refused": {"submission": submission, "document_type": SimpleNamespace(name=NASTY), "path": "/"},
        "email_change": {**link, "new_email": "nouvelle@famille.example"},
        "email_changed": {"user": user, "old_email": "ancienne@famille.example"},
        "invitation": link,
        "invoice_issued": {"invoice": invoice, "total": "12,50 €", "settings": billing, "url": "https://exemple.fr/"},
        "invoice_reminder": {"invoices": [invoice], "total": "12,50 €", "settings": billing},
        "mass_email": {
            "mailing": SimpleNamespace(subject=NASTY, body=NASTY, essential=False),
            "preferences_url": "https://exemple.fr/preferences/",
        },
        "message_reply": {"thread": thread, "message": message, "user": user, "url": "https://exemple.fr/"},
        "password_changed": {"user": user, "when": now},
        "password_reset": link,
        "payment_received": {
            "payment": SimpleNamespace(
                receipt_number="R-2026-0001", get_method_display=lambda: NASTY, received_on=date(2026, 11, 2)
            ),
            "amount": "12,50 €",
            "allocations": [("F-2026-0001", "12,50 €")],
            "url": "https://exemple.fr/",
        },
        "registration_accepted": {"registration": registration, "user": user},
        "registration_received": {"registration": registration, "user": user},
        "registration_refused": {"registration": registration, "user": user},
        "renewal_confirmed": {
            "user": user,
            "year_label": "2027/2028",
            "children": NASTY,
            "confirmed_at": now,
            "items": [SimpleNamespace(registration=SimpleNamespace(**vars(registration), status="requested"))],
        },
        "sepa_prenotification": {
            "collection_date": date(2026, 12, 20),
            "total": "12,50 €",
            "invoices": [("F2026-000001", "12,50 €")],
            "rum": NASTY,
            "creditor_id": "FR72ZZZ123456",
            "url": "https://exemple.fr/",
        },
        "draw_decision": {
            "activity": {"name": NASTY},
            "family": {"name": NASTY},
            "class_number": 1,
            "class_label": NASTY,
            "rank_in_class": 2,
            "class_size": 3,
            "public_id": "32e30f45c2e5ea7e",
            "granted": [{"child": NASTY, "slot": "lundi 22/02/2027 – Journée"}],
            "waiting": [{"child": "Léa", "slot": "mardi 23/02/2027 – Journée", "position": 1}],
            "over_cap": [],
            "url": "https://exemple.fr/",
            "public_url": "https://exemple.fr/tirage/",
        },
        "sepa_rejected": {
            "invoice_number": "F2026-000001",
            "amount": "12,50 €",
            "collection_date": date(2026, 12, 20),
            "reason": NASTY,
            "fee": "5,00 €",
            "fee_number": "F2026-000002",
            "instructions": NASTY,
            "url": "https://exemple.fr/",
        },
        "structure_message": {"thread": thread, "message": message, "author": user, "url": "https://exemple.fr/"},
        "waiting_list_place": {
            "user": user,
            "booking": SimpleNamespace(child=_person(), offer_expires_at=now + timedelta(days=1)),
            "label": NASTY,
        },
    }


def test_every_email_template_is_covered():
    """A new e-mail kind must join the test below."""
    kinds = {path.name.removesuffix(".subject.txt") for path in EMAIL_TEMPLATES.glob("*.subject.txt")}
    assert kinds == set(_contexts())


def assert_plain_text(text: str) -> None:
    assert NASTY in text
    for entity in ESCAPES:
        assert entity not in text, f"{entity} in {text!r}"


def assert_html_escaped(html: str) -> None:
    assert NASTY_HTML in html
    assert "<b>grave</b>" not in html


def received_parts(message) -> tuple[str, str, str]:
    return (
        str(message["Subject"]).strip(),  # Django folds a long subject after "Subject:"
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
    )


@pytest.mark.parametrize("template", sorted(_contexts()))
def test_subject_and_text_are_plain_text_and_html_is_escaped(
    template, tenant_a, mail_server, django_capture_on_commit_callbacks
):
    organisation = tenant_a.organisation
    organisation.name = NASTY
    organisation.save(update_fields=["name"])
    with django_capture_on_commit_callbacks(execute=True):
        queue_email(
            organisation=organisation, to="parent@famille.example", template=template, context=_contexts()[template]
        )
    assert deliver_due_emails() == 1

    (message,) = mail_server.received()
    subject, text, html = received_parts(message)
    assert_plain_text(subject)
    assert_plain_text(text)
    assert_html_escaped(html)


def test_a_reworded_email_is_plain_text_too(tenant_a, mail_server, django_capture_on_commit_callbacks):
    from .factories import EmailTemplateOverrideFactory

    EmailTemplateOverrideFactory(
        organisation=tenant_a.organisation,
        template="message_reply",
        subject="Réponse d'« {structure} » & co : {objet}",
        body="Bonjour,\n\n{reponse}\n\n<i>L'équipe</i> & co",
    )
    with django_capture_on_commit_callbacks(execute=True):
        queue_email(
            organisation=tenant_a.organisation,
            to="parent@famille.example",
            template="message_reply",
            context=_contexts()["message_reply"],
        )
    deliver_due_emails()
    subject, text, html = received_parts(mail_server.received()[0])
    assert subject == f"Réponse d'« {NASTY} » & co : {NASTY}"
    assert_plain_text(text)
    assert "<i>L'équipe</i> & co" in text
    assert_html_escaped(html)
    assert "&lt;i&gt;L&#x27;équipe&lt;/i&gt; &amp; co" in html


def test_mass_mailing_leaves_with_its_subject_as_typed(tenant_a, mail_server, django_capture_on_commit_callbacks):
    from ribambelle.communication.mailing import send_mass_mailing
    from ribambelle.communication.models import MailingScope

    from .factories import StructureFactory, StructureFamilyFactory

    structure = StructureFactory(organisation=tenant_a.organisation)
    StructureFamilyFactory(organisation=tenant_a.organisation, structure=structure, family=tenant_a.family_user.family)
    with django_capture_on_commit_callbacks(execute=True):
        send_mass_mailing(
            organisation=tenant_a.organisation,
            subject="Sortie à l'aquarium d'Albi & goûter",
            body='Rendez-vous à 9 h « devant l\'école » <avec> un "pique-nique" & une casquette.',
            scope=MailingScope.STRUCTURES,
            structures=[structure],
            essential=True,
            acting_user=tenant_a.admin,
        )
    assert deliver_due_emails() >= 1
    subject, text, html = received_parts(mail_server.received()[0])
    assert subject == "Sortie à l'aquarium d'Albi & goûter"
    assert 'Rendez-vous à 9 h « devant l\'école » <avec> un "pique-nique" & une casquette.' in text
    assert "&lt;avec&gt; un &quot;pique-nique&quot; &amp; une casquette" in html


def test_a_familys_message_reaches_the_structure_as_typed(tenant_a, mail_server, django_capture_on_commit_callbacks):
    from ribambelle.communication.messaging import send_message_to_structure

    from .factories import StructureFactory

    structure = StructureFactory(organisation=tenant_a.organisation)
    with django_capture_on_commit_callbacks(execute=True):
        send_message_to_structure(
            user=tenant_a.family_user,
            structure=structure,
            subject="Absence d'Emma",
            body="Emma est malade <fièvre> & restera à la maison.",
        )
    assert deliver_due_emails() == 1
    (message,) = mail_server.received()
    subject, text, html = received_parts(message)
    assert subject.startswith("[Espace Famille] Absence d'Emma – famille ")
    assert "Emma est malade <fièvre> & restera à la maison." in text
    assert "Absence d&#x27;Emma" in html and "&lt;fièvre&gt; &amp; restera" in html


# The dev mailbox is mounted only when DEBUG is on at start-up: mounted here for its test.
urlpatterns = [path("dev/", include("ribambelle.communication.dev_urls")), *project_urls.urlpatterns]


@pytest.mark.urls(__name__)
def test_the_dev_mailbox_shows_subjects_escaped_once_and_text_as_text(tenant_a, client, settings):
    from .factories import OutgoingEmailFactory

    settings.DEBUG = True
    email = OutgoingEmailFactory(
        organisation=tenant_a.organisation, subject="Sortie à l'aquarium", body_text="<b>gras</b> & co", body_html=""
    )
    listing = client.get("/dev/courriels/").content.decode()
    assert "Sortie à l&#x27;aquarium" in listing and "&amp;#x27;" not in listing
    shown = client.get(f"/dev/courriels/{email.pk}/").content.decode()
    assert "&lt;b&gt;gras&lt;/b&gt; &amp; co" in shown and "<b>" not in shown
