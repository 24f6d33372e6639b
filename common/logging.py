"""Logs that print no personal data (PIPL: nothing sensitive in URLs or logs).

`PersonalDataFilter` sits on every handler of portal/settings.py's LOGGING. It masks what looks like an
ID number or a phone number in a record's message, drops the request Django attaches to an error's
record (whose POST data a handler such as AdminEmailHandler would print), and replaces an exception's
value by its type: the value of an error is often the data that caused it (openpyxl's "<name> cannot
be used in worksheets", a unique constraint's "Key (id_number)=(…)"), and names cannot be recognised
by a pattern. The traceback's frames, which hold code and no data, are kept.
"""

import logging
import re
import traceback

# 18-digit resident ID numbers (the last may be X) and the older 15-digit ones, standing alone.
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
# Mainland mobiles (optionally +86 / 86), and landlines written with their area code and a hyphen.
PHONE = re.compile(r"(?<!\d)(?:(?:\+?86)?1[3-9]\d{9}|0\d{2,3}-\d{7,8})(?!\d)")
ID_MASK, PHONE_MASK = "[ID number]", "[phone]"
WITHHELD = "[value withheld: it may hold personal data]"


def mask_personal_data(text: str) -> str:
    """The text with ID numbers and phone numbers replaced by placeholders."""
    return PHONE.sub(PHONE_MASK, ID_NUMBER.sub(ID_MASK, text))


def _chain(error: BaseException) -> list[BaseException]:
    """The exception and those it was raised from or during, the first raised first."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and not any(current is seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return chain[::-1]


def withheld_traceback(error: BaseException) -> str:
    """A traceback with every frame and exception type, and no exception value."""
    parts = []
    for index, raised in enumerate(_chain(error)):
        if index:
            parts.append("\nwhich led to:\n\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(raised.__traceback__))
        parts.append(f"{type(raised).__module__}.{type(raised).__qualname__}: {WITHHELD}\n")
    return mask_personal_data("".join(parts)).rstrip("\n")


class PersonalDataFilter(logging.Filter):
    """Mask ID numbers and phones, withhold exception values and drop the request (see the module)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: keep the format alone
            message = str(record.msg)
        record.msg, record.args = mask_personal_data(message), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = withheld_traceback(record.exc_info[1])
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if hasattr(record, "request"):
            del record.request
        return True
