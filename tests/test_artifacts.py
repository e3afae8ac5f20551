"""The model files: what is saved loads back equal, nothing half-written is left behind, and a file whose bytes
changed is refused (made-up payloads)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest

from forecast.artifacts import ArtifactStore
from forecast.errors import ArtifactRejected


def _store(folder: Path) -> ArtifactStore:
    recorded: dict[str, str] = {}

    def record(name: str, sha256: str, manifest: Mapping[str, object], content: bytes | None) -> None:
        recorded[name] = sha256

    return ArtifactStore(folder, record, recorded.get)


def test_a_saved_payload_loads_back_equal_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    store = _store(tmp_path)
    payload = {"points": [(float(i), [float(i) - 1, float(i) + 1]) for i in range(10_000)], "name": "made up"}
    store.save("forecasts", payload, {"data_fingerprint": "f"})
    assert store.load("forecasts", "f") == payload
    assert sorted(p.name for p in tmp_path.iterdir()) == ["forecasts.joblib", "forecasts.manifest.json"]


def test_large_numpy_arrays_go_through_the_stream_and_come_back_equal(tmp_path: Path) -> None:
    """Protocol 5 hands an array's data over as an out-of-band buffer when it exceeds a pickle frame (64 KB)."""
    store = _store(tmp_path)
    paths = np.random.default_rng(0).standard_normal((2000, 12))  # 192 KB, as a served fit's annual paths
    store.save("forecasts", {"paths": paths, "small": np.arange(3)}, {"data_fingerprint": "f"})
    loaded = store.load("forecasts", "f")
    assert isinstance(loaded, dict) and np.array_equal(loaded["paths"], paths) and np.array_equal(loaded["small"], np.arange(3))


def test_a_payload_pickled_but_not_served_is_discarded_and_one_that_cannot_be_pickled_leaves_nothing(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.pickled({"a": 1}).discard()
    with pytest.raises(TypeError):
        store.pickled({"lock": threading.Lock()})  # a lock cannot be pickled
    assert list(tmp_path.iterdir()) == []


def test_a_file_whose_bytes_changed_is_refused(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.save("forecasts", list(range(1000)), {"data_fingerprint": "f"})
    path = store.path_for("forecasts")
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0xFF
    path.write_bytes(bytes(content))
    with pytest.raises(ArtifactRejected, match="was not recorded"):
        store.load("forecasts", "f")


def test_temporary_files_a_killed_writer_left_are_removed_and_one_being_written_is_kept(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.save("forecasts", [1, 2, 3], {"data_fingerprint": "f"})
    stale, fresh = tmp_path / "killed.tmp", tmp_path / "writing.tmp"
    stale.write_bytes(b"half a pickle")
    fresh.write_bytes(b"being written")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    assert store.remove_leftovers(idle_seconds=600) == [stale]
    assert not stale.exists() and fresh.exists() and store.load("forecasts", "f") == [1, 2, 3]
