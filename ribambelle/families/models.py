from django.db import models
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import TenantModel


class Family(TenantModel):
    """A household: its name and address, its members and its logins."""

    name = models.CharField(_("nom de la famille"), max_length=150)
    address_line = models.CharField(_("adresse"), max_length=200, blank=True)
    address_line_2 = models.CharField(_("complément d'adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("commune"), max_length=120, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("famille")
        indexes = [models.Index(fields=["organisation", "name"])]

    def __str__(self) -> str:
        return self.name


class PersonRole(models.TextChoices):
    ADULT = "adult", _("Responsable légal")
    CHILD = "child", _("Enfant")


class Sex(models.TextChoices):
    FEMALE = "F", _("Fille / femme")
    MALE = "M", _("Garçon / homme")


class Person(TenantModel):
    """A member of a family: a responsible adult or a child."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(_("rôle"), max_length=10, choices=PersonRole.choices)
    first_name = models.CharField(_("prénom"), max_length=120)
    last_name = models.CharField(_("nom"), max_length=120)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)

    class Meta:
        ordering = ["role", "birth_date", "first_name", "id"]
        verbose_name = _("membre de la famille")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"
