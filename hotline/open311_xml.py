"""GeoReport v2's XML shapes, written only where the spec asks for them: a list of elements under a root,
each a mapping of field to value, where a list value is a container of `ITEM_TAGS[field]` elements."""

import re
from collections.abc import Iterable, Mapping
from xml.etree.ElementTree import Element, SubElement, tostring

# The container fields of GeoReport v2 and the name of the element each holds.
ITEM_TAGS = {"attributes": "attribute", "values": "value", "keywords": "keyword"}

# What XML 1.0 cannot hold at all (control characters other than tab and line breaks, surrogates).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(parent: Element, fields: Mapping) -> None:
    for name, value in fields.items():
        child = SubElement(parent, name)
        if isinstance(value, Mapping):
            _fill(child, value)
        elif isinstance(value, list | tuple):
            for item in value:
                element = SubElement(child, ITEM_TAGS[name])
                if isinstance(item, Mapping):
                    _fill(element, item)
                else:
                    element.text = _text(item)
        else:
            child.text = _text(value)


def render(root: str, item: str | None, rows: Iterable[Mapping] | Mapping) -> bytes:
    """`<root><item>…</item>…</root>` for a list of rows, or `<root>…</root>` for one mapping (item None)."""
    top = Element(root)
    if item is None:
        _fill(top, rows)  # type: ignore[arg-type]
    else:
        for row in rows:  # type: ignore[union-attr]
            _fill(SubElement(top, item), row)
    return tostring(top, encoding="utf-8", xml_declaration=True)
