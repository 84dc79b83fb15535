"""Writes for news ("Actualités") and the dashboard's information banner."""

from django.db import transaction
from django.utils.translation import gettext as _

from ribambelle.core.actions import action
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit, save_with_audit

from .models import Banner, NewsAudience, NewsItem, NewsItemStructure


@action
def save_news(*, organisation, news: NewsItem | None, fields: dict, structures, acting_user) -> NewsItem:
    """Create or update a news item. Public items go to everyone, so they carry no structures;
    the structures of a family item narrow it to those structures' families."""
    structures = list(structures or [])
    if any(s.organisation_id != organisation.pk for s in structures):
        raise DomainError(_("Choisissez les structures dans la liste."), field="structures")
    if fields.get("audience") == NewsAudience.PUBLIC:
        structures = []
    with transaction.atomic():
        news = save_with_audit(
            news or NewsItem(organisation=organisation, created_by=acting_user), fields=fields, acting_user=acting_user
        )
        NewsItemStructure.objects.filter(organisation=organisation, newsitem=news).exclude(
            structure__in=structures
        ).delete()
        existing = set(
            NewsItemStructure.objects.filter(organisation=organisation, newsitem=news).values_list(
                "structure_id", flat=True
            )
        )
        NewsItemStructure.objects.bulk_create(
            [
                NewsItemStructure(organisation=organisation, newsitem=news, structure=s)
                for s in structures
                if s.pk not in existing
            ]
        )
    return news


@action
def delete_news(*, news: NewsItem, acting_user) -> None:
    with transaction.atomic():
        record_audit(organisation=news.organisation, actor=acting_user, action="delete", obj=news)
        news.delete()


@action
def save_banner(*, organisation, banner: Banner | None, fields: dict, acting_user) -> Banner:
    return save_with_audit(
        banner or Banner(organisation=organisation, created_by=acting_user), fields=fields, acting_user=acting_user
    )


@action
def delete_banner(*, banner: Banner, acting_user) -> None:
    with transaction.atomic():
        record_audit(organisation=banner.organisation, actor=acting_user, action="delete", obj=banner)
        banner.delete()
