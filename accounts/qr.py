"""The enrolment's QR code, drawn on the server as SVG markup (no script, no inline style)."""

from base64 import b32encode

import segno
from django.utils.safestring import SafeString, mark_safe
from django_otp.plugins.otp_totp.models import TOTPDevice


def qr_svg(device: TOTPDevice, title: str) -> SafeString:
    """The otpauth:// URI as an SVG QR code that fills its box (no fixed size); segno escapes the title."""
    svg = segno.make(device.config_url, error="m").svg_inline(light="#fff", title=title, omitsize=True)
    return mark_safe(svg)  # noqa: S308 (markup segno generated from a URI of our own)


def secret_text(device: TOTPDevice) -> str:
    """The secret as an authenticator app asks for it when typed: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
