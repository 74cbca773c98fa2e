"""Rendered HTML fragments kept per worker, keyed by everything they are made from.

A fragment is a pure function of its key (the values shown and the page's language), so a changed
profile simply has a new key: nothing needs invalidating, and a stale fragment cannot be served.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import current_app, g, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

T = TypeVar("T")

# Stand-ins rendered into a cached fragment where each request has its own value.
TOKEN_SLOT, NEXT_SLOT = "\x00csrf\x00", "\x00next\x00"


class FragmentCache:
    """A bounded least-recently-used map from a fragment's inputs to its HTML."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()

    def get_or_render(self, key: Hashable, render: Callable[[], T]) -> T:
        if self.size <= 0:
            return render()
        html = self._items.get(key)
        if html is not None:
            self._items.move_to_end(key)
            return html  # type: ignore[no-any-return]
        html = render()
        self._items[key] = html
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return html


def app_cache(name: str, size_setting: str) -> FragmentCache:
    """The application's cache of that name, sized by that setting (one per worker process; 0 turns it off)."""
    cache = current_app.extensions.get(name)
    if cache is None:
        cache = current_app.extensions[name] = FragmentCache(current_app.config[size_setting])
    return cache


def fragments() -> FragmentCache:
    """Rendered HTML fragments."""
    return app_cache("dealflow_fragments", "FRAGMENT_CACHE_SIZE")


def this_page() -> str:
    """The path (and query) of the current page, for forms that come back to it."""
    return request.full_path if request.query_string else request.path


def fill_slots(html: str) -> Markup:
    """A cached fragment with this request's CSRF token and page path put in its slots, both escaped."""
    values = g.get("_fragment_slot_values")
    if values is None:
        values = g._fragment_slot_values = (str(escape(generate_csrf())), str(escape(this_page())))
    return Markup(html.replace(TOKEN_SLOT, values[0]).replace(NEXT_SLOT, values[1]))  # noqa: S704 -- escaped above
