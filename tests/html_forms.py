"""Read the POST (or GET) forms of a rendered page: their address and the values a browser would send as they
stand."""

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    attrs: dict
    fields: dict = field(default_factory=dict)
    hidden: set = field(default_factory=set)


class _Parser(HTMLParser):
    def __init__(self, method="post"):
        super().__init__(convert_charrefs=True)
        self.method = method
        self.forms: list[Form] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._form = (
                Form(action=a.get("action", ""), attrs=a) if (a.get("method") or "get").lower() == self.method else None
            )
            if self._form is not None:
                self.forms.append(self._form)
            return
        form = self._form
        if form is None or ("name" not in a and tag != "option"):
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields[a["name"]] = a.get("value", "on")
                return
            form.fields[a["name"]] = a.get("value", "")
            if kind == "hidden":
                form.hidden.add(a["name"])
        elif tag == "select":
            self._select = a["name"]
            form.fields.setdefault(self._select, "")
            self._first_option = True
        elif tag == "option" and self._select:
            if self._first_option or "selected" in a:
                form.fields[self._select] = a.get("value", "")
            self._first_option = False
        elif tag == "textarea":
            self._textarea = a["name"]
            form.fields[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea] += data


def post_forms(html):
    parser = _Parser()
    parser.feed(html if isinstance(html, str) else html.decode())
    return parser.forms


def get_forms(html):
    """The filter forms (``method="get"``, HTML's default)."""
    parser = _Parser("get")
    parser.feed(html if isinstance(html, str) else html.decode())
    return parser.forms
