"""What every area's responses share: where a redirect may go, and the content security policy."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit


def content_security_policy(
    *, scripts: Sequence[str] = (), connects: Sequence[str] = (), frames: Sequence[str] = ()
) -> str:
    """The site's policy; a page that needs a third party (Stripe.js on the card form) names its origins."""
    script_src = " ".join(["'self'", *scripts])
    connect_src = " ".join(["'self'", *connects])
    frame_src = "frame-src " + " ".join(frames) + "; " if frames else ""
    return (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        f"script-src {script_src}; font-src 'self'; connect-src {connect_src}; {frame_src}"
        "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
    )


CONTENT_SECURITY_POLICY = content_security_policy()


def safe_next_url(target: str | None) -> str | None:
    """Return target only when it is a path on this site, never another host."""
    if not target or "\\" in target or any(ch in target for ch in "\r\n\t"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
