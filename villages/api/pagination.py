from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """``{count, next, previous, results}``; ``page_size`` may be asked for, up to 500."""

    page_size_query_param = "page_size"
    max_page_size = 500
