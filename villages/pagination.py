"""Page lists whose last pages cost about what their first pages do.

``OFFSET n`` makes PostgreSQL produce and throw away n rows. With ``select_related`` those rows are wide (the
row and its joined rows), so the last page of a 20,000-row list costs several times the first. A
``DeferredPaginator`` pages over the ids alone (a narrow query an index can serve in the list's order) and then
reads the page's rows, with their joins and prefetches, by id: one more query, and the same rows in the same
order as the plain ``Paginator``.
"""

from django.core.paginator import Page, Paginator


class DeferredPaginator(Paginator):
    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        by_id = {obj.pk: obj for obj in self.object_list.filter(pk__in=ids)} if ids else {}
        return Page([by_id[pk] for pk in ids if pk in by_id], number, self)
