"""Where uploaded files live: a folder outside static/, named by random keys, never by user input."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, current_app

EXTENSION_KEY = "dealflow_file_store"


class FileStore:
    """Unbound like the other extensions; each app keeps its own folder, from UPLOAD_FOLDER."""

    def init_app(self, app: Flask) -> None:
        app.extensions[EXTENSION_KEY] = Path(app.config["UPLOAD_FOLDER"]).resolve()

    @property
    def root(self) -> Path:
        """The current app's upload folder."""
        root: Path = current_app.extensions[EXTENSION_KEY]
        return root

    def new_key(self, extension: str) -> str:
        """A fresh key such as 'ab/9f…e1.webp', spread over 256 folders."""
        token = secrets.token_hex(16)
        return f"{token[:2]}/{token}.{extension}"

    def path(self, key: str) -> Path:
        """The file's path, refusing keys that would leave the store."""
        candidate = (self.root / key).resolve()
        if self.root not in candidate.parents:
            raise ValueError(f"storage key outside the store: {key!r}")
        return candidate

    def delete(self, key: str) -> None:
        """Remove a file; one already gone is fine."""
        self.path(key).unlink(missing_ok=True)

    def save(self, key: str, data: bytes) -> None:
        """Write atomically: readers never see half a file."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(target.suffix + ".part")
        partial.write_bytes(data)
        os.replace(partial, target)
