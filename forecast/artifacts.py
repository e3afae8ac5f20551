"""Fitted models on disk (joblib) with a manifest; the only code that touches models/.

A file is unpickled only if its SHA-256 equals the hash the service recorded
when it wrote it (kept in the store, not beside the file), so a
tampered, foreign or half-written artifact is refitted, never loaded.

Replicas sharing a PostgreSQL store may run on different hosts: there the store
keeps the file's bytes too (`fetch`), and models/ is each replica's local copy,
written from the store whenever the file there is not the one recorded
(docs/decisions.md, "Replicas sharing PostgreSQL").
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import platform
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from joblib.compressor import BinaryZlibFile

from forecast.errors import ArtifactRejected

ARTIFACT_FORMAT = 3  # 3: the C pickler streams the payload into joblib's zlib file (see `pickled`)
LIBRARIES = ("forecast", "numpy", "pandas", "scipy", "statsmodels", "joblib")


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions


@dataclass(frozen=True)
class Pickled:
    """A payload pickled at one moment (`ArtifactStore.pickled`) into a temporary file, to be saved (renamed into
    place) later, or discarded."""

    path: Path
    sha256: str  # of the file's bytes, taken as they were written

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class _PickleOutput:
    """The file object the pickler writes to: joblib's zlib file, which counts what it is given with `len`, so a
    protocol-5 out-of-band buffer (a large numpy array's data, `pickle.PickleBuffer`) is handed over as bytes."""

    def __init__(self, output: BinaryZlibFile) -> None:
        self._output = output

    def write(self, data: bytes | pickle.PickleBuffer) -> int:
        return int(self._output.write(data.raw() if isinstance(data, pickle.PickleBuffer) else data))


class _HashedFile:
    """A file open for writing that hashes what it is given (the compressed bytes), so the file is not read back."""

    def __init__(self, handle: io.BufferedWriter) -> None:
        self._handle = handle
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self._handle.write(data)

    def flush(self) -> None:
        self._handle.flush()


def write_pickle(payload: object, path: str | Path) -> str:
    """`payload` pickled by the C pickler straight into a zlib file at `path` (joblib's, level 3); the SHA-256 of the
    file's bytes."""
    with open(path, "wb") as handle:
        hashed = _HashedFile(handle)
        with BinaryZlibFile(hashed, "wb", compresslevel=3) as output:
            pickle.dump(payload, _PickleOutput(output), protocol=pickle.HIGHEST_PROTOCOL)
    return hashed.digest.hexdigest()


def read_pickle(path: str | Path) -> object:
    """What `write_pickle` wrote at `path`, unpickled as it is decompressed (through a 1 MB buffer)."""
    with BinaryZlibFile(str(path), "rb") as stream:
        return pickle.load(io.BufferedReader(stream, 1 << 20))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ArtifactStore:
    """Save and load one bundle of fitted models per data fingerprint.

    `record` and `recorded` persist and read back the hash the service trusts
    (the store provides them); with `fetch` (a store replicas share), `record` is
    handed the file's bytes as well, and `fetch` gives them and their manifest back.
    """

    def __init__(
        self,
        directory: Path,
        record: Callable[[str, str, Mapping[str, object], bytes | None], None],
        recorded: Callable[[str], str | None],
        fetch: Callable[[str], tuple[bytes, Mapping[str, object]] | None] | None = None,
    ) -> None:
        self.directory = directory
        self._record = record
        self._recorded = recorded
        self._fetch = fetch
        self.held: dict[str, str] = {}  # name -> hash of the payload this process last saved or loaded

    def is_held(self, name: str) -> bool:
        """The payload recorded under `name` is the one this process saved or loaded last (no other replica's since)."""
        return self._recorded(name) == self.held.get(name)

    def remove_leftovers(self, idle_seconds: float = 600.0) -> list[Path]:
        """Delete the temporary files a killed process left beside the models (a pickling or a write cut short),
        those not written to for `idle_seconds`: a file another replica sharing the folder is writing is kept."""
        removed = []
        cutoff = time.time() - idle_seconds
        for leftover in self.directory.glob("*.tmp") if self.directory.exists() else []:
            try:
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
                    removed.append(leftover)
            except FileNotFoundError:  # renamed or removed meanwhile by its writer
                continue
        return removed

    def path_for(self, name: str) -> Path:
        return self.directory / f"{name}.joblib"

    def pickled(self, payload: object) -> Pickled:
        """`payload` pickled now, into a temporary file beside the artifacts. A snapshot must be pickled before it is
        served: readers then fill its lazy attributes (the catalog's cached properties), and a dict that grows under
        the pickler stops it."""
        # The C pickler, not joblib's pure-Python one: the snapshot is mostly small objects (the replays' Points and
        # their interval lists). It streams into joblib's zlib file, so no copy of the whole pickle is ever held in
        # memory, here or at load (docs/decisions.md, "Model files").
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        os.close(handle)
        try:
            return Pickled(Path(temporary), write_pickle(payload, temporary))
        except BaseException:
            os.unlink(temporary)
            raise

    def save(self, name: str, payload: object, manifest: Mapping[str, object]) -> Path:
        """Write `payload` (pickled now, unless it is `Pickled` already) and its manifest, and record its hash."""
        path = self.path_for(name)
        pickled = payload if isinstance(payload, Pickled) else self.pickled(payload)
        try:
            os.replace(pickled.path, path)  # atomic: a reader never sees half a file
        except BaseException:
            pickled.discard()
            raise
        # with a shared store, the bytes it keeps are the very bytes hashed (one read: the file could be replaced between two)
        content = path.read_bytes() if self._fetch else None
        full_manifest = {
            **manifest,
            "format": ARTIFACT_FORMAT,
            "libraries": library_versions(),
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "sha256": hashlib.sha256(content).hexdigest() if content is not None else pickled.sha256,
        }
        _replace_atomically(self.directory / f"{name}.manifest.json", json.dumps(full_manifest, indent=2, default=str).encode())
        self._record(name, str(full_manifest["sha256"]), full_manifest, content)
        self.held[name] = str(full_manifest["sha256"])
        return path

    def load(self, name: str, fingerprint: str | None) -> object:
        """The payload, or ArtifactRejected saying why it cannot be trusted.

        With `fingerprint` None, a payload fitted on other data is accepted (the last good models, to
        serve while they are refitted); its libraries, format and recorded hash are checked all the same.
        """
        path = self.path_for(name)
        self._copy_from_store(name)
        if not path.exists():
            raise ArtifactRejected(f"{path.name}: no such artifact")
        manifest_path = self.directory / f"{name}.manifest.json"
        try:
            manifest = json.loads(manifest_path.read_text())
        except (OSError, ValueError) as error:
            raise ArtifactRejected(f"{path.name}: unreadable manifest ({error})") from None
        if fingerprint is not None and manifest.get("data_fingerprint") != fingerprint:
            raise ArtifactRejected(f"{path.name}: fitted on other data ({manifest.get('data_fingerprint')} != {fingerprint})")
        if manifest.get("libraries") != library_versions() or manifest.get("format") != ARTIFACT_FORMAT:
            raise ArtifactRejected(f"{path.name}: written by other library versions")
        trusted = self._recorded(name)
        actual = _sha256(path)
        if trusted is None or trusted != actual:
            raise ArtifactRejected(f"{path.name}: hash {actual[:12]} was not recorded by this service")
        payload = read_pickle(path)  # trusted: its hash is the one recorded
        self.held[name] = actual
        return payload

    def _copy_from_store(self, name: str) -> None:
        """With a shared store, write its copy of the models to models/ unless the file there is the one recorded."""
        path = self.path_for(name)
        if self._fetch is None or (path.exists() and _sha256(path) == self._recorded(name)):
            return
        stored = self._fetch(name)
        if stored is None:
            return
        content, manifest = stored
        self.directory.mkdir(parents=True, exist_ok=True)
        _replace_atomically(self.directory / f"{name}.manifest.json", json.dumps(manifest, indent=2, default=str).encode())
        _replace_atomically(path, content)  # the hash is checked as for any file: the bytes must be those recorded


def _replace_atomically(path: Path, content: bytes) -> None:
    """Write `content` to `path` through a temporary file and a rename: a reader (or a process killed mid-write)
    sees the old file or the new one, never an empty or half-written one."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as output:
            output.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
