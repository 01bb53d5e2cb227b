"""One import engine for every ledger that imports (divisions, cadres, grids, party members, households).

``engine`` checks and plans, ``clean`` reads a clerk's spellings, ``workbook`` writes the templates, ``services`` runs
an import as a job (checked, previewed, confirmed; in the background when large), ``views`` are its pages. Each app
declares its importers on its AppConfig (the ``importers`` hook), so the base app imports none of them.
"""

from functools import cache

from ..hooks import app_hooks


@cache
def importers() -> dict:
    """kind → importer, in the order a county loads its ledgers (app order, then each app's list)."""
    return {imp.kind: imp for imp in (cls() for _config, _path, cls in app_hooks("importers"))}


def importer_for(kind: str):
    return importers().get(kind)
