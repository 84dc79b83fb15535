"""The one paginator of the list pages, shown by templates/includes/pagination.html (which keeps the
page's filters and sort in its links)."""

from django.core.paginator import Page, Paginator

PER_PAGE = 50


def paginate(request, items, per_page: int = PER_PAGE) -> Page:
    """The page `?page=` asks for; a number out of range or not a number gives the nearest page, not a 404."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))
