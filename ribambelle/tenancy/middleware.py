from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from .models import Organisation


class OrganisationMiddleware:
    """Resolves the organisation from the URL's `org_slug` and puts it on the request.

    A login belongs to one organisation: on another organisation's pages the same
    browser is simply anonymous, so nothing of one tenant can leak into another.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.organisation = None
        request.membership = None
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        slug = view_kwargs.pop("org_slug", None)
        if slug is None:
            return None
        user = request.user
        if user.is_authenticated and user.organisation.slug == slug and user.organisation.is_active:
            organisation = user.organisation  # loaded with the user: no second query on every page
        else:
            organisation = Organisation.objects.filter(slug=slug, is_active=True).first()
        if organisation is None:
            raise Http404("Organisation inconnue")
        request.organisation = organisation
        if user.is_authenticated and user.organisation_id != organisation.id:
            request.user = AnonymousUser()
        elif user.is_authenticated and not user.is_family:
            from .selectors import membership_for_user

            request.membership = membership_for_user(user)
            if request.membership is not None:
                request.membership.organisation = organisation  # the same row: not loaded a second time
        return None
