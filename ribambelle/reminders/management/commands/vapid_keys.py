from django.core.management.base import BaseCommand

from ribambelle.reminders import push


class Command(BaseCommand):
    help = (
        "Clés VAPID des notifications web de cette installation : les crée dans var/webpush-vapid.json "
        "(ou WEBPUSH_VAPID_FILE) si elles n'existent pas ; --print les affiche pour les variables "
        "WEBPUSH_VAPID_PRIVATE_KEY et WEBPUSH_VAPID_PUBLIC_KEY."
    )

    def add_arguments(self, parser):
        parser.add_argument("--print", action="store_true", dest="show", help="Afficher les clés créées.")

    def handle(self, *args, show: bool, **options):
        import json

        path = push.keys_file()
        if path.exists():
            self.stdout.write(f"Clés déjà présentes : {path}")
            return
        keys = push.generate_keys()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"private_key": keys.private_key, "public_key": keys.public_key}))
        path.chmod(0o600)
        self.stdout.write(f"Clés VAPID créées : {path}")
        if show:
            self.stdout.write(
                f"WEBPUSH_VAPID_PRIVATE_KEY={keys.private_key}\nWEBPUSH_VAPID_PUBLIC_KEY={keys.public_key}"
            )
