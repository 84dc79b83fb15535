"""Communication: messages to structures, news and banners, mass e-mail, e-mail wording."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ribambelle.accounts.consent import record_consents
from ribambelle.communication import mailing, messaging
from ribambelle.communication.models import (
    EmailTemplateOverride,
    MassMailingRecipient,
    Message,
    MessageThread,
    OutgoingEmail,
    ThreadStatus,
)
from ribambelle.outbox.services import queue_email
from ribambelle.tenancy.models import MembershipStructure
from ribambelle.tenancy.roles import Role

from .conftest import client_for, page_text, robot_proof
from .factories import (
    BannerFactory,
    CommunicationPreferenceFactory,
    FamilyFactory,
    FamilyUserFactory,
    MembershipFactory,
    MessageThreadFactory,
    NewsItemFactory,
    PersonFactory,
    StructureFactory,
    StructureFamilyFactory,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def bligny(tenant_a):
    return StructureFactory(
        organisation=tenant_a.organisation, name="Accueil de loisirs de Bligny", email="alsh@bligny.example"
    )


@pytest.fixture
def parent(tenant_a):
    user = tenant_a.family_user
    record_consents(user=user, personal=True, health=True)
    return client_for(user)


def _send(client, tenant, structure, **extra):
    data = {"structure": structure.pk, "subject": "Sortie", "body": "Bonjour", "robot": robot_proof(), **extra}
    return client.post(tenant.url("messages/nouveau/"), data)


# --- Messages -----------------------------------------------------------------------------
def test_message_reaches_the_structure_by_email_and_the_inbox(tenant_a, parent, bligny):
    response = _send(parent, tenant_a, bligny, subject="Sortie de mercredi", body="À quelle heure ?")
    thread = MessageThread.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/messages/{thread.pk}/")
    assert thread.structure == bligny and thread.status == ThreadStatus.NEW
    mail = OutgoingEmail.objects.get(template="structure_message")
    assert mail.to == "alsh@bligny.example"
    assert "À quelle heure ?" in mail.body_text and "Sortie de mercredi" in mail.subject
    assert mail.reply_to == tenant_a.family_user.email
    inbox = client_for(tenant_a.admin).get(tenant_a.url("gestion/messages/"))
    assert "Sortie de mercredi" in page_text(inbox)
    history = page_text(parent.get(tenant_a.url("historique/")))
    assert "Message envoyé à Accueil de loisirs de Bligny" in history


def test_message_without_robot_proof_is_refused(tenant_a, parent, bligny):
    response = _send(parent, tenant_a, bligny, robot="")
    assert response.status_code == 400
    assert "Cochez « Je ne suis pas un robot »" in page_text(response)
    assert not MessageThread.objects.exists() and not OutgoingEmail.objects.exists()


def test_rate_limit_refuses_with_a_clear_message(tenant_a, parent, bligny):
    for _ in range(messaging.MESSAGES_PER_HOUR):
        assert _send(parent, tenant_a, bligny).status_code == 302
    response = _send(parent, tenant_a, bligny)
    assert response.status_code == 400
    assert "Vous avez déjà envoyé 5 messages en moins d'une heure" in page_text(response)
    assert MessageThread.objects.count() == messaging.MESSAGES_PER_HOUR
    # An hour later the family may write again.
    Message.objects.update(created_at=timezone.now() - timedelta(hours=1, minutes=1))
    assert _send(parent, tenant_a, bligny).status_code == 302


def test_another_organisations_structure_cannot_be_chosen(tenant_a, tenant_b, parent):
    foreign = StructureFactory(organisation=tenant_b.organisation)
    response = _send(parent, tenant_a, foreign)
    assert response.status_code == 400
    assert "Choisissez le destinataire dans la liste." in page_text(response)
    assert not MessageThread.objects.exists()


def test_attachment_is_checked_by_content_and_served_only_to_its_family(tenant_a, parent, bligny):
    fake = SimpleUploadedFile("facture.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = _send(parent, tenant_a, bligny, attachment=fake)
    assert response.status_code == 400
    assert "Ce type de fichier n'est pas accepté" in page_text(response)
    assert not MessageThread.objects.exists()

    html = SimpleUploadedFile("photo.png", b"<html><script>alert(1)</script>", content_type="image/png")
    assert _send(parent, tenant_a, bligny, attachment=html).status_code == 400

    good = SimpleUploadedFile("../../attestation <b>.pdf", PDF, content_type="application/octet-stream")
    assert _send(parent, tenant_a, bligny, attachment=good).status_code == 302
    message = Message.objects.get()
    assert message.attachment_name == "attestation _b.pdf" and message.attachment_type == "application/pdf"
    assert ".." not in message.attachment.name
    download = parent.get(tenant_a.url(f"messages/piece-jointe/{message.pk}/"))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    staff = client_for(tenant_a.admin).get(tenant_a.url(f"gestion/messages/piece-jointe/{message.pk}/"))
    assert staff.status_code == 200
    record_consents(user=tenant_a.other_family_user, personal=True, health=True)
    other = client_for(tenant_a.other_family_user).get(tenant_a.url(f"messages/piece-jointe/{message.pk}/"))
    assert other.status_code == 404


def test_attachment_over_the_limit_is_refused(tenant_a, parent, bligny, settings):
    big = SimpleUploadedFile("gros.pdf", PDF + b"0" * (5 * 1024 * 1024), content_type="application/pdf")
    response = _send(parent, tenant_a, bligny, attachment=big)
    assert response.status_code == 400 and "dépasse 5 Mo" in page_text(response)
    assert not MessageThread.objects.exists()


def test_staff_reply_is_emailed_and_shown_in_the_portal(tenant_a, parent, bligny):
    _send(parent, tenant_a, bligny, subject="Sortie", body="Quelle heure ?")
    thread = MessageThread.objects.get()
    staff = client_for(tenant_a.admin)
    page = staff.get(tenant_a.url(f"gestion/messages/{thread.pk}/"))
    assert "Quelle heure ?" in page_text(page)
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.IN_PROGRESS  # opened by staff
    response = staff.post(tenant_a.url(f"gestion/messages/{thread.pk}/"), {"body": "Vers 17 h 30.", "handled": "on"})
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.HANDLED and thread.family_unread
    mail = OutgoingEmail.objects.get(template="message_reply")
    assert mail.to == tenant_a.family_user.email and "Vers 17 h 30." in mail.body_text
    assert f"/messages/{thread.pk}/" in mail.body_text
    listing = page_text(parent.get(tenant_a.url("messages/")))
    assert "Nouvelle réponse" in listing
    conversation = page_text(parent.get(tenant_a.url(f"messages/{thread.pk}/")))
    assert "Quelle heure ?" in conversation and "Vers 17 h 30." in conversation
    thread.refresh_from_db()
    assert not thread.family_unread
    assert "Réponse de l'Accueil de loisirs de Bligny" in page_text(parent.get(tenant_a.url("historique/")))


def test_empty_reply_is_refused(tenant_a, bligny):
    thread = MessageThreadFactory(organisation=tenant_a.organisation, structure=bligny)
    response = client_for(tenant_a.admin).post(tenant_a.url(f"gestion/messages/{thread.pk}/"), {"body": "  "})
    assert response.status_code == 400
    assert not Message.objects.exists()


def test_staff_limited_to_a_structure_see_only_its_messages(tenant_a, bligny):
    other = StructureFactory(organisation=tenant_a.organisation, name="Multi-accueil")
    mine = MessageThreadFactory(organisation=tenant_a.organisation, structure=bligny, subject="Pour Bligny")
    theirs = MessageThreadFactory(organisation=tenant_a.organisation, structure=other, subject="Pour le multi")
    director = MembershipFactory(organisation=tenant_a.organisation, role=Role.DIRECTOR)
    MembershipStructure.objects.create(organisation=tenant_a.organisation, membership=director, structure=bligny)
    client = client_for(director.user)
    inbox = page_text(client.get(tenant_a.url("gestion/messages/?statut=tous")))
    assert "Pour Bligny" in inbox and "Pour le multi" not in inbox
    assert client.get(tenant_a.url(f"gestion/messages/{mine.pk}/")).status_code == 200
    assert client.get(tenant_a.url(f"gestion/messages/{theirs.pk}/")).status_code == 404


def test_agents_have_no_inbox(tenant_a):
    assert client_for(tenant_a.agent).get(tenant_a.url("gestion/messages/")).status_code == 403


def test_inbox_query_count_does_not_grow(tenant_a, bligny, django_assert_max_num_queries):
    client = client_for(tenant_a.admin)
    MessageThreadFactory.create_batch(3, organisation=tenant_a.organisation, structure=bligny)
    with django_assert_max_num_queries(20) as few:
        client.get(tenant_a.url("gestion/messages/"))
    MessageThreadFactory.create_batch(40, organisation=tenant_a.organisation, structure=bligny)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(tenant_a.url("gestion/messages/")).status_code == 200


# --- Contacts, news and banners -----------------------------------------------------------
def test_contacts_list_each_structure_with_ages_email_and_phones(tenant_a, parent):
    StructureFactory(
        organisation=tenant_a.organisation,
        name="Relais Petite Enfance",
        kind="relais_petite_enfance",
        email="relais@cc.example",
        phone="03 80 64 01 02",
        phone_2="07 84 60 28 83",
        age_min_months=2,
        age_max_months=48,
    )
    StructureFactory(organisation=tenant_a.organisation, name="Fermée", is_active=False)
    text = page_text(parent.get(tenant_a.url("contact/")))
    assert "Relais Petite Enfance" in text and "Relais petite enfance" in text
    assert "pour les 2 mois – 4 ans" in text and "relais@cc.example" in text
    assert "03 80 64 01 02" in text and "07 84 60 28 83" in text
    assert "Fermée" not in text


def test_public_news_on_the_login_page_only_when_published(client, tenant_a):
    NewsItemFactory(organisation=tenant_a.organisation, title="Inscriptions été", body="Ouverture mercredi")
    NewsItemFactory(
        organisation=tenant_a.organisation, title="Plus tard", publish_from=timezone.now() + timedelta(days=1)
    )
    NewsItemFactory(organisation=tenant_a.organisation, title="Pour les familles", audience="families")
    text = page_text(client.get(tenant_a.url()))
    assert "Actualités" in text and "Inscriptions été" in text and "Ouverture mercredi" in text
    assert "Plus tard" not in text and "Pour les familles" not in text


def test_news_targeted_to_a_structure_reach_only_its_families(tenant_a, parent, bligny):
    news = NewsItemFactory(organisation=tenant_a.organisation, title="Sortie à Bligny", audience="families")
    news.structures.through.objects.create(organisation=tenant_a.organisation, newsitem=news, structure=bligny)
    assert "Sortie à Bligny" not in page_text(parent.get(tenant_a.url()))
    StructureFamilyFactory(organisation=tenant_a.organisation, structure=bligny, family=tenant_a.family_user.family)
    assert "Sortie à Bligny" in page_text(parent.get(tenant_a.url()))


def test_html_in_news_banner_and_messages_is_neutralised(client, tenant_a, parent, bligny):
    NewsItemFactory(organisation=tenant_a.organisation, title="<b>Titre</b>", body='<script>alert("x")</script>')
    BannerFactory(organisation=tenant_a.organisation, text="<img src=x onerror=alert(1)>")
    login_page = client.get(tenant_a.url()).content.decode()
    assert "<script>alert" not in login_page and "&lt;script&gt;alert" in login_page
    assert "<b>Titre</b>" not in login_page
    dashboard = parent.get(tenant_a.url()).content.decode()
    assert "<img src=x" not in dashboard and "&lt;img src=x onerror=alert(1)&gt;" in dashboard
    _send(parent, tenant_a, bligny, subject="<i>objet</i>", body="<script>steal()</script>")
    thread = MessageThread.objects.get()
    staff_page = client_for(tenant_a.admin).get(tenant_a.url(f"gestion/messages/{thread.pk}/")).content.decode()
    assert "<script>steal" not in staff_page and "&lt;script&gt;steal()" in staff_page
    mail = OutgoingEmail.objects.get(template="structure_message")
    assert "<script>steal" not in mail.body_html and "<i>objet</i>" not in mail.body_html


def test_staff_publish_news_for_some_structures_and_a_banner(tenant_a, bligny):
    staff = client_for(tenant_a.admin)
    response = staff.post(
        tenant_a.url("gestion/actualites/nouvelle/"),
        {
            "title": "Inscriptions été",
            "date": "2026-04-12",
            "body": "Ouverture",
            "audience": "families",
            "publish_from": "2020-01-01T08:00",
            "structures": [bligny.pk],
        },
    )
    assert response.status_code == 302
    from ribambelle.communication.models import NewsItem

    news = NewsItem.objects.get()
    assert list(news.structures.all()) == [bligny]
    bad = staff.post(
        tenant_a.url("gestion/bandeaux/nouveau/"),
        {"text": "Fermeture", "publish_from": "2026-05-02T08:00", "publish_until": "2026-05-01T08:00"},
    )
    assert bad.status_code == 400 and "La fin d'affichage doit être après son début." in page_text(bad)
    ok = staff.post(
        tenant_a.url("gestion/bandeaux/nouveau/"), {"text": "Fermeture", "publish_from": "2020-01-01T08:00"}
    )
    assert ok.status_code == 302


# --- Mass e-mail ---------------------------------------------------------------------------
def test_mass_email_reaches_exactly_the_structures_families(tenant_a, tenant_b, bligny):
    org = tenant_a.organisation
    followed = FamilyFactory(organisation=org, name="SUIVIE", email="suivie@exemple.example")
    PersonFactory(organisation=org, family=followed, role="adult", email="papa@exemple.example")
    FamilyUserFactory(organisation=org, family=followed, email="maman@exemple.example")
    refused = FamilyFactory(organisation=org, name="REFUS", email="refus@exemple.example")
    CommunicationPreferenceFactory(organisation=org, family=refused)
    FamilyFactory(organisation=org, name="AUTRE", email="autre@exemple.example")  # not followed by Bligny
    for family in (followed, refused):
        StructureFamilyFactory(organisation=org, structure=bligny, family=family)
    # Another organisation's family, even linked to a structure of its own, is never reached.
    foreign_structure = StructureFactory(organisation=tenant_b.organisation)
    StructureFamilyFactory(
        organisation=tenant_b.organisation,
        structure=foreign_structure,
        family=FamilyFactory(organisation=tenant_b.organisation, email="etranger@exemple.example"),
    )
    staff = client_for(tenant_a.admin)
    data = {"scope": "structures", "structures": [bligny.pk], "subject": "Fermeture", "body": "Bonjour"}
    preview = staff.post(tenant_a.url("gestion/envois-groupes/nouveau/"), {**data, "preview": ""})
    text = page_text(preview)
    # The login and the guardian (families.recipients); the file's own e-mail only when neither exists.
    assert "1 famille" in text and "2 adresses e-mail" in text and "Envoyer à 1 famille" in text
    assert "1 famille a refusé les informations non essentielles" in text
    assert not OutgoingEmail.objects.exists()  # a preview sends nothing

    foreign = staff.post(
        tenant_a.url("gestion/envois-groupes/nouveau/"), {**data, "structures": [foreign_structure.pk], "confirm": ""}
    )
    assert foreign.status_code == 400 and not OutgoingEmail.objects.exists()

    response = staff.post(tenant_a.url("gestion/envois-groupes/nouveau/"), {**data, "confirm": ""})
    assert response.status_code == 302
    sent = set(OutgoingEmail.objects.values_list("to", flat=True))
    assert sent == {"papa@exemple.example", "maman@exemple.example"}
    assert MassMailingRecipient.objects.filter(email__isnull=False).count() == 2
    detail = page_text(staff.get(response["Location"]))
    assert "maman@exemple.example" in detail and "En attente d'envoi" in detail
    assert "ne plus recevoir" in OutgoingEmail.objects.first().body_text.lower()


def test_essential_mass_email_reaches_families_that_opted_out(tenant_a):
    org = tenant_a.organisation
    refused = FamilyFactory(organisation=org, email="refus@exemple.example")
    CommunicationPreferenceFactory(organisation=org, family=refused)
    audience = mailing.resolve_audience(organisation=org, scope="organisation", structures=[], essential=False)
    assert refused not in [f for f, _ in audience.recipients]
    mailing.send_mass_mailing(
        organisation=org,
        subject="Fermeture",
        body="Neige",
        scope="organisation",
        structures=[],
        essential=True,
        acting_user=tenant_a.admin,
    )
    assert OutgoingEmail.objects.filter(to="refus@exemple.example").exists()
    # Only this organisation's families: tenant_a's two family logins and this one.
    assert {e.family.organisation_id for e in OutgoingEmail.objects.select_related("family")} == {org.pk}


def test_family_opts_out_of_optional_emails(tenant_a, parent):
    response = parent.post(tenant_a.url("messages/preferences/"), {})
    assert response.status_code == 302
    audience = mailing.resolve_audience(
        organisation=tenant_a.organisation, scope="organisation", structures=[], essential=False
    )
    assert tenant_a.family_user.family in audience.opted_out
    parent.post(tenant_a.url("messages/preferences/"), {"accepts_optional_emails": "on"})
    audience = mailing.resolve_audience(
        organisation=tenant_a.organisation, scope="organisation", structures=[], essential=False
    )
    assert tenant_a.family_user.family not in audience.opted_out


# --- E-mail wording -----------------------------------------------------------------------
def test_override_is_used_with_restricted_placeholders_and_escaped(tenant_a):
    staff = client_for(tenant_a.admin)
    url = tenant_a.url("gestion/textes-des-e-mails/invitation/")
    evil = "Bonjour {prenom} <script>alert(1)</script> {{ organisation.gdpr_text }} {% debug %} {user.password}"
    refused = staff.post(url, {"subject": "Salut {prenom}", "body": evil, "save": ""})
    assert refused.status_code == 400 and "Champs inconnus : {user.password}" in page_text(refused)
    body = "Bonjour {prenom} <script>alert(1)</script> {{ organisation.gdpr_text }} {% debug %}\nÀ bientôt."
    preview = staff.post(url, {"subject": "Salut {prenom}", "body": body, "preview": ""})
    assert preview.status_code == 200 and "Bonjour Camille" in page_text(preview)
    assert not EmailTemplateOverride.objects.exists()  # a preview saves nothing
    assert staff.post(url, {"subject": "Salut {prenom}", "body": body, "save": ""}).status_code == 302

    email = queue_email(
        organisation=tenant_a.organisation,
        to="x@exemple.example",
        template="invitation",
        context={"user": tenant_a.family_user, "url": "https://exemple.fr/activer/", "expires_at": timezone.now()},
    )
    assert email.subject == "Salut Camille"
    assert "Bonjour Camille" in email.body_text and "{% debug %}" in email.body_text
    assert "https://exemple.fr/activer/" in email.body_text  # the link is always there
    assert "<script>" not in email.body_html and "&lt;script&gt;" in email.body_html
    assert "Activer mon compte" in email.body_html

    staff.post(url, {"subject": "x", "body": "y", "reset": ""})
    email = queue_email(
        organisation=tenant_a.organisation,
        to="x@exemple.example",
        template="invitation",
        context={"user": tenant_a.family_user, "url": "https://exemple.fr/activer/", "expires_at": timezone.now()},
    )
    assert email.subject.startswith("Activez votre Espace Famille")


def test_reply_wording_must_keep_the_reply(tenant_a):
    response = client_for(tenant_a.admin).post(
        tenant_a.url("gestion/textes-des-e-mails/message_reply/"), {"subject": "Réponse", "body": "Bonjour", "save": ""}
    )
    assert response.status_code == 400 and "Le texte doit contenir {reponse}" in page_text(response)


def test_directors_cannot_change_email_wording(tenant_a):
    director = MembershipFactory(organisation=tenant_a.organisation, role=Role.DIRECTOR).user
    assert client_for(director).get(tenant_a.url("gestion/textes-des-e-mails/")).status_code == 403
