from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver


@receiver(user_login_failed)
def log_failed_login(sender, credentials, request=None, **kwargs):
    from .services import record_failed_login

    organisation = getattr(request, "organisation", None) or credentials.get("organisation")
    record_failed_login(organisation=organisation, email=credentials.get("email", ""), request=request)
