"""Recompute a draw from its published JSON alone (the public page's « données du tirage »)."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ribambelle.allocation.draw import verify


class Command(BaseCommand):
    help = "Vérifie un tirage à partir de ses données publiées (fichier JSON de la page publique, ou - pour l'entrée)."

    def add_arguments(self, parser):
        parser.add_argument("published_json")

    def handle(self, *args, published_json, **options):
        try:
            text = sys.stdin.read() if published_json == "-" else Path(published_json).read_text(encoding="utf-8")
            published = json.loads(text)
            ok, problems = verify(published)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"Données du tirage illisibles : {exc}") from exc
        if not ok:
            raise CommandError("Le tirage ne se vérifie pas :\n- " + "\n- ".join(problems))
        self.stdout.write(
            "Tirage vérifié : la graine correspond à l'engagement, les vœux à leur empreinte, "
            f"et l'attribution recalculée est identique octet pour octet ({published['result_hash']})."
        )
