from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend

from ribambelle.core.compiled import CompiledQuery


class OrganisationEmailBackend(BaseBackend):
    """Authenticates an e-mail and password within the organisation of the URL."""

    def authenticate(self, request, email=None, password=None, organisation=None, **kwargs):
        User = get_user_model()
        organisation = organisation or getattr(request, "organisation", None)
        if not email or password is None or organisation is None:
            return None
        user = User.objects.filter(organisation=organisation, email__iexact=email.strip()).first()
        if user is None:
            # Spend the same time as a real check so response times do not reveal accounts.
            User().set_password(password)
            return None
        if user.check_password(password) and user.is_active:
            return user
        return None

    def get_user(self, user_id):
        # Every page needs the organisation and, for a parent, the family (and for a separated parent
        # the household) and whether the current GDPR text was accepted: one query for all, compiled
        # once per process (core.compiled: on every request, building it cost more than running it).
        try:
            user = _LOGIN.first(pk=int(user_id))
        except (TypeError, ValueError):
            return None
        if user is not None and user.family is not None:
            user.family.organisation = user.organisation  # the same row (a family's login is its organisation's)
        return user


def _login_query(pk):
    from ribambelle.accounts.consent import personal_consent_version

    User = get_user_model()
    return (
        User.objects.filter(pk=pk, is_active=True)
        .select_related("organisation", "family", "household_link__household")
        .annotate(personal_consent_version=personal_consent_version())[:1]
    )


_LOGIN = CompiledQuery(_login_query, "pk")
