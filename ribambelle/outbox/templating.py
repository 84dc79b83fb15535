"""The organisation's own wording of automatic e-mails, without any template injection.

Each automatic e-mail is an `EmailKind` in a registry: its label, and the documented
list of placeholders staff may use, each a small function that reads one value from
the e-mail's context. An override is plain text; `{prenom}`-style placeholders are
replaced by a regular expression from that list only — the text is never compiled as
a Django template, so `{{ ... }}` or `{% ... %}` stay literal text — and the HTML part
escapes everything. The essential link (activation, reset…) is never part of the
editable text: the e-mail always adds its button after the wording, so an override
cannot remove or replace it.

Other apps register their e-mails from their AppConfig.ready():

    from ribambelle.outbox.templating import EmailKind, register_email_kind
    register_email_kind(EmailKind("registration_accepted", "Inscription acceptée", ...))
"""

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace

from django.template import Context, Engine, engines
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape, linebreaks, urlize
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ribambelle.core.wording import of_organisation

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# What staff may have meant as a placeholder ({user.password}, {Prénom}…), to report it.
PLACEHOLDER_LIKE = re.compile(r"\{([^{}\s]+)\}")


def _first_name(ctx) -> str:
    user = ctx.get("user")
    return getattr(user, "first_name", "") or ""


def _datetime(key: str) -> Callable[[dict], str]:
    def read(ctx) -> str:
        value = ctx.get(key)
        return date_format(localtime(value), "l j F Y à H:i") if value else ""

    return read


COMMON_PLACEHOLDERS: dict[str, tuple[str, Callable[[dict], str]]] = {
    "organisation": (gettext_lazy("Nom de l'organisation"), lambda ctx: ctx["organisation"].name),
    "contact": (
        gettext_lazy("E-mail de contact de l'organisation"),
        lambda ctx: ctx["organisation"].contact_email or "",
    ),
}


@dataclass(frozen=True)
class EmailKind:
    name: str
    label: str
    placeholders: dict[str, tuple[str, Callable[[dict], str]]] = field(default_factory=dict)
    # (button label, context key of the URL) added after the text, whatever the wording.
    action: tuple[str, str] | None = None
    # A context to preview the wording with, built for an organisation.
    sample: Callable[[object], dict] = lambda organisation: {}
    # Placeholders the wording must keep (e.g. the reply's text in "message_reply").
    required: tuple[str, ...] = ()
    # The built-in wording written with placeholders: the starting point of an override.
    default_subject: str = ""
    default_body: str = ""

    def all_placeholders(self) -> dict[str, tuple[str, Callable[[dict], str]]]:
        return {**COMMON_PLACEHOLDERS, **self.placeholders}


EMAIL_KINDS: dict[str, EmailKind] = {}


def register_email_kind(kind: EmailKind) -> None:
    EMAIL_KINDS[kind.name] = kind


def substitute(text: str, values: dict[str, str]) -> str:
    """Replace known {placeholders}; anything else is left exactly as typed."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def unknown_placeholders(kind: EmailKind, text: str) -> list[str]:
    allowed = kind.all_placeholders()
    return sorted({name for name in PLACEHOLDER_LIKE.findall(text) if name not in allowed})


def placeholder_values(kind: EmailKind, context: dict) -> dict[str, str]:
    values = {}
    for name, (_label, read) in kind.all_placeholders().items():
        try:
            values[name] = str(read(context) or "")
        except (KeyError, AttributeError, TypeError):
            values[name] = ""
    return values


@dataclass
class RenderedEmail:
    subject: str
    text: str
    html: str


@functools.cache
def _plain_text_engine() -> Engine:
    """The project's template engine with HTML auto-escaping off.

    A subject and a text part are plain text: escaped, "Sortie à l'aquarium" would leave as
    "Sortie à l&#x27;aquarium". Only the HTML part is rendered by the default, escaping engine.
    """
    default = engines["django"].engine
    return Engine(
        dirs=default.dirs,
        app_dirs=default.app_dirs,
        libraries=default.libraries,
        debug=default.debug,
        string_if_invalid=default.string_if_invalid,
        file_charset=default.file_charset,
        autoescape=False,
    )


def render_plain_text(template_name: str, context: dict) -> str:
    return _plain_text_engine().get_template(template_name).render(Context(context, autoescape=False))


def render_email(template: str, context: dict) -> RenderedEmail:
    """`templates/emails/<template>.{subject.txt,txt,html}`: subject and text unescaped, HTML escaped."""
    return RenderedEmail(
        subject=" ".join(render_plain_text(f"emails/{template}.subject.txt", context).split()),
        text=render_plain_text(f"emails/{template}.txt", context),
        html=render_to_string(f"emails/{template}.html", context),
    )


def render_override(kind: EmailKind, *, subject: str, body: str, context: dict) -> RenderedEmail:
    values = placeholder_values(kind, context)
    subject_text = " ".join(substitute(subject, values).split())
    body_text = substitute(body, values).strip()
    url = context.get(kind.action[1]) if kind.action else None
    text = body_text
    if url:
        text += "\n\n" + _("%(label)s :") % {"label": kind.action[0]} + f"\n{url}"
    text += f"\n\n{context['organisation'].name}\n"
    # escape first, then paragraphs and links: the staff's text can never become markup.
    html_body = linebreaks(urlize(escape(body_text), nofollow=True, autoescape=False))
    html = render_to_string(
        "emails/custom.html",
        {**context, "custom_body": mark_safe(html_body), "action_label": kind.action[0] if url else "", "url": url},
    )
    return RenderedEmail(subject=subject_text[:250], text=text, html=html)


def default_wording(kind: EmailKind, organisation) -> tuple[str, str]:
    """The built-in subject and text, shown as the starting point of an override (in French,
    the language e-mails are written in, whatever language the staff member reads)."""
    from django.conf import settings

    with translation.override(settings.LANGUAGE_CODE):
        if kind.default_body:
            return str(kind.default_subject), str(kind.default_body)
        context = {"organisation": organisation, "site_url": settings.SITE_URL, **kind.sample(organisation)}
        rendered = render_email(kind.name, context)
        return rendered.subject, rendered.text


# --- The e-mails that exist today ---------------------------------------------------------
def _sample_user():
    return SimpleNamespace(first_name="Camille", last_name="MARTIN", email="camille.martin@exemple.fr")


def _sample_link(organisation) -> dict:
    return {
        "user": _sample_user(),
        "url": f"https://exemple.fr/{organisation.slug}/lien-personnel/",
        "expires_at": timezone.now() + timedelta(days=7),
    }


def _sample_password_changed(organisation) -> dict:
    return {"user": _sample_user(), "when": timezone.now()}


def _sample_reply(organisation) -> dict:
    return {
        "thread": SimpleNamespace(
            structure=SimpleNamespace(name=_("Accueil de loisirs")), subject=_("Inscriptions été")
        ),
        "message": SimpleNamespace(body=_("Bonjour, c'est bien noté. Bonne journée !")),
        "url": f"https://exemple.fr/{organisation.slug}/messages/",
    }


USER_PLACEHOLDERS = {
    "prenom": (gettext_lazy("Prénom du destinataire"), _first_name),
    "email": (gettext_lazy("Adresse e-mail du compte"), lambda ctx: ctx["user"].email),
}
LINK_PLACEHOLDERS = {
    **USER_PLACEHOLDERS,
    "expiration": (gettext_lazy("Date d'expiration du lien"), _datetime("expires_at")),
}

for _kind in [
    EmailKind(
        "invitation",
        gettext_lazy("Activation du compte"),
        LINK_PLACEHOLDERS,
        action=(gettext_lazy("Activer mon compte"), "url"),
        sample=_sample_link,
    ),
    EmailKind(
        "password_reset",
        gettext_lazy("Mot de passe oublié"),
        LINK_PLACEHOLDERS,
        action=(gettext_lazy("Choisir un nouveau mot de passe"), "url"),
        sample=_sample_link,
        default_subject=gettext_lazy("Réinitialiser votre mot de passe – {organisation}"),
        default_body=gettext_lazy(
            "Bonjour {prenom},\n\nVous avez demandé à changer le mot de passe de votre compte {email}.\n"
            "Ce lien ne fonctionne qu'une fois et expire le {expiration}.\n"
            "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe reste inchangé."
        ),
    ),
    EmailKind(
        "password_changed",
        gettext_lazy("Mot de passe modifié"),
        {**USER_PLACEHOLDERS, "date": (gettext_lazy("Date du changement"), _datetime("when"))},
        sample=_sample_password_changed,
        default_subject=gettext_lazy("Votre mot de passe a été modifié – {organisation}"),
        default_body=gettext_lazy(
            "Bonjour {prenom},\n\nLe mot de passe de votre compte {email} a été modifié le {date}.\n"
            "Vos autres appareils ont été déconnectés.\n\n"
            "Si vous n'êtes pas à l'origine de ce changement, utilisez tout de suite « Mot de passe oublié ? » "
            "sur la page de connexion et prévenez {organisation} ({contact})."
        ),
    ),
    EmailKind(
        "message_reply",
        gettext_lazy("Réponse à un message de la famille"),
        {
            "structure": (gettext_lazy("Nom de la structure qui répond"), lambda ctx: ctx["thread"].structure.name),
            "de_structure": (
                gettext_lazy("« de » suivi du nom de la structure (« de l'Accueil de loisirs… »)"),
                lambda ctx: of_organisation(ctx["thread"].structure),
            ),
            "objet": (gettext_lazy("Objet du message"), lambda ctx: ctx["thread"].subject),
            "reponse": (gettext_lazy("Texte de la réponse (obligatoire)"), lambda ctx: ctx["message"].body),
        },
        action=(gettext_lazy("Voir la conversation"), "url"),
        required=("reponse",),
        sample=_sample_reply,
        default_subject=gettext_lazy("Réponse {de_structure} : {objet}"),
        default_body=gettext_lazy("Bonjour,\n\n{structure} a répondu à votre message « {objet} » :\n\n{reponse}"),
    ),
]:
    register_email_kind(_kind)
