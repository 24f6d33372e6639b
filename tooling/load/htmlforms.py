"""The forms and links of a page, read as a browser would submit them (standard library only: the locustfile
imports this without Django).

A form's fields are what a browser sends when the user presses submit without changing anything: text and
hidden inputs with their values, checked boxes and radios, each select's selected (or first) option and
each textarea's text. The simulated user then changes the few fields a person would fill in.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

SKIPPED_INPUTS = {"submit", "button", "reset", "image", "file"}


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)

    def data(self, **changes: str | list[str]) -> list[tuple[str, str]]:
        """The fields as sent, with `changes` replacing every value of those names (a list: several)."""
        kept = [(name, value) for name, value in self.fields if name not in changes]
        for name, value in changes.items():
            kept += [(name, v) for v in value] if isinstance(value, list) else [(name, value)]
        return kept

    def value(self, name: str) -> str:
        return next((v for n, v in self.fields if n == name), "")


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, list[str], list[str], bool] | None = (
            None  # name, options, selected, multiple
        )
        self._option_value: str | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
        if self._form is None or "disabled" in a:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in SKIPPED_INPUTS:
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form.fields.append((name, a.get("value", "on")))
                return
            self._form.fields.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select = (name, [], [], "multiple" in a)
        elif tag == "option" and self._select is not None:
            self._option_value = a.get("value")
            if "value" in a:
                self._select[1].append(a["value"])
                if "selected" in a:
                    self._select[2].append(a["value"])
        elif tag == "textarea" and name:
            self._textarea = (name, [])

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)
        elif self._select is not None and self._option_value is None and data.strip():
            # <option>text</option> without a value sends its text.
            self._select[1].append(data.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag == "option":
            self._option_value = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, options, selected, multiple = self._select
            chosen = selected if (selected or multiple) else options[:1]
            self._form.fields += [(name, value) for value in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            name, text = self._textarea
            self._form.fields.append((name, "".join(text).removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self._form = None


def forms_in(html: str) -> list[Form]:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.forms


def form_posting_to(html: str, action_path: str) -> Form | None:
    """The first POST form whose action is `action_path` ("": the page's own URL), as the portal writes it."""
    return next((f for f in forms_in(html) if f.method == "post" and f.action == action_path), None)


def link_ids(html: str, pattern: str) -> list[int]:
    """The ids in the links matching `pattern` (a regular expression with one group), in page order,
    each once."""
    seen: dict[int, None] = {}
    for match in re.finditer(pattern, html):
        seen.setdefault(int(match.group(1)), None)
    return list(seen)


ALERT = re.compile(r'<div class="alert alert-(\w+)" role="alert">(.*?)</div>', re.S)


def alerts(html: str) -> list[tuple[str, str]]:
    """The messages shown at the top of a page: (level, text)."""
    return [(level, re.sub(r"<[^>]+>", "", text).strip()) for level, text in ALERT.findall(html)]
