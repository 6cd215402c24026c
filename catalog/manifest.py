"""The ingest manifest: which source files a catalog holds, by content hash, and what each wrote.

Kept as `hyperliquid_ingest.json` in the catalog folder. Re-ingesting a file whose hash is listed
(and whose parquet outputs all still exist) is a no-op, so the same data is never written twice.
An exclusive lock file serialises ingests into one catalog across processes.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MANIFEST_NAME = "hyperliquid_ingest.json"
LOCK_NAME = ".hyperliquid_ingest.lock"
MANIFEST_VERSION = 1


def file_sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _check_entry(path: Path, sha: str, entry: Any) -> None:
    """An entry's outputs are deleted on --replace: they must be plain paths inside the catalog."""
    outputs = entry.get("outputs", []) if isinstance(entry, dict) else None
    if not isinstance(outputs, list):
        raise ValueError(f"{path}: entry {sha[:12]} is not an ingest record")
    for rel in outputs:
        if not isinstance(rel, str) or Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise ValueError(f"{path}: entry {sha[:12]} lists an output outside the catalog: {rel!r}")


class IngestManifest:
    """Source files ingested into one catalog folder, keyed by sha256 of their bytes."""

    def __init__(self, catalog_dir: str | os.PathLike[str]) -> None:
        self.catalog_dir = Path(catalog_dir)
        self.path = self.catalog_dir / MANIFEST_NAME
        self.files: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            try:
                raw = json.loads(self.path.read_text())
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ValueError(
                    f"{self.path}: corrupt ingest manifest ({exc}); delete the catalog and re-ingest"
                ) from None
            if (
                not isinstance(raw, dict)
                or raw.get("version") != MANIFEST_VERSION
                or not isinstance(raw.get("files"), dict)
            ):
                raise ValueError(f"{self.path}: not an ingest manifest of version {MANIFEST_VERSION}")
            for sha, entry in raw["files"].items():
                _check_entry(self.path, sha, entry)
            self.files = raw["files"]

    def entry(self, sha256: str) -> dict[str, Any] | None:
        return self.files.get(sha256)

    def is_complete(self, sha256: str) -> bool:
        """Listed with its summary, and every parquet file it wrote is still there."""
        entry = self.files.get(sha256)
        if entry is None or "summary" not in entry:  # entries from before summaries were kept
            return False
        return all((self.catalog_dir / rel).exists() for rel in entry.get("outputs", []))

    def source_of_output(self, relpath: str) -> str | None:
        sha = self.sha_of_output(relpath)
        return None if sha is None else self.files[sha].get("source")

    def sha_of_output(self, relpath: str) -> str | None:
        """The content hash of the ingested file that wrote `relpath`, if the manifest lists it."""
        for sha, entry in self.files.items():
            if relpath in entry.get("outputs", []):
                return sha
        return None

    def record(self, sha256: str, entry: dict[str, Any]) -> None:
        self.files[sha256] = entry
        self.save()

    def forget(self, sha256: str) -> dict[str, Any] | None:
        entry = self.files.pop(sha256, None)
        self.save()
        return entry

    def save(self) -> None:
        self.catalog_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(
            json.dumps({"version": MANIFEST_VERSION, "files": self.files}, indent=1, sort_keys=True)
        )
        os.replace(tmp, self.path)


@contextlib.contextmanager
def catalog_lock(catalog_dir: str | os.PathLike[str]) -> Iterator[None]:
    """Exclusive lock over a catalog folder while ingesting (other processes wait)."""
    directory = Path(catalog_dir)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOCK_NAME, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
