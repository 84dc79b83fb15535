from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ribambelle.operations.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restaure une archive de `backup` dans une instance vide (base et stockage), après vérification "
        "des sommes de contrôle, puis compare le nombre de lignes de chaque table au manifeste."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive")

    def handle(self, *args, archive, **options):
        path = Path(archive)
        if not path.is_file():
            raise CommandError(f"Archive introuvable : {path}")
        try:
            manifest = restore_backup(path)
        except BackupError as error:
            raise CommandError(str(error)) from None
        rows = sum(manifest["row_counts"].values())
        self.stdout.write(
            f"Restauré : {len(manifest['row_counts'])} tables, {rows} lignes, {len(manifest['files'])} fichiers "
            f"(sauvegarde du {manifest['created_at']})."
        )
