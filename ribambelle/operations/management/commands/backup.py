from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ribambelle.operations.backup import BackupError, apply_retention, create_backup


class Command(BaseCommand):
    help = (
        "Sauvegarde cohérente : base de données (pg_dump ou copie SQLite), fichiers stockés et manifeste "
        "(sommes de contrôle, version du schéma), chiffrée si BACKUP_ENCRYPTION_KEY est défini ; "
        "garde les N dernières archives."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output-dir", default=str(settings.BACKUP_DIR))
        parser.add_argument("--keep", type=int, default=settings.BACKUP_RETENTION, help="archives gardées")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--encrypt", action="store_true", default=None)
        group.add_argument("--no-encrypt", dest="encrypt", action="store_false")

    def handle(self, *args, output_dir, keep, encrypt, **options):
        try:
            path = create_backup(Path(output_dir), encrypt=encrypt)
        except BackupError as error:
            raise CommandError(str(error)) from None
        removed = apply_retention(Path(output_dir), keep)
        self.stdout.write(f"Sauvegarde écrite : {path}")
        if removed:
            self.stdout.write(f"Anciennes sauvegardes supprimées : {len(removed)}")
