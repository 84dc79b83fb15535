from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ribambelle.accounts"
    label = "accounts"
