"""Record one sync run (the traffic an ERP integration really makes) into a fixture file.

This drives :class:`~amzcancel.sync.OrderSync` through its ``transport`` hook with a
:class:`RecordingTransport` wrapped around the network (or the in-process sandbox), against a
throw-away store unless one is given, so recording never moves a real cursor.

Added in 0.1.0.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from amzcancel.clock import Clock, SystemClock
from amzcancel.testing._recorder import RecordingTransport
from amzcancel.testing._redact import Redactor

if TYPE_CHECKING:
    from amzcancel.sandbox import Marketplace
    from amzcancel.sync import Api, SyncResult
    from amzcancel.transport import LwaCredentials, MwsCredentials

__all__ = ["RecordResult", "record_sync"]


@dataclass(frozen=True)
class RecordResult:
    """What a recording produced.

    Attributes:
        path: the fixture file written.
        exchanges: how many HTTP exchanges it holds.
        sync: the summary of the recorded sync run.

    Added in 0.1.0.
    """

    path: Path
    exchanges: int
    sync: SyncResult

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (the ``amzcancel record --json`` output)."""
        return {"fixture": str(self.path), "exchanges": self.exchanges, **self.sync.to_json()}


def record_sync(
    out: str | os.PathLike[str],
    *,
    sandbox: bool = False,
    marketplace: Marketplace | None = None,
    api: Api = "auto",
    credentials: LwaCredentials | MwsCredentials | None = None,
    endpoint: str | None = None,
    lwa_endpoint: str | None = None,
    since: datetime | None = None,
    marketplaces: Sequence[str] | None = None,
    paths: str | Sequence[str] = "auto",
    region: str | None = None,
    store: str | os.PathLike[str] | None = None,
    redactor: Redactor | None = None,
    note: str = "",
) -> RecordResult:
    """Run one sync with its traffic recorded, redacted, to ``out``.

    Args:
        out: the fixture file to write.
        sandbox: record against the built-in sandbox with its fake credentials: in-process,
            or over HTTP at ``endpoint`` when one is given (e.g. a served sandbox).
        marketplace: the sandbox :class:`~amzcancel.sandbox.Marketplace` (implies ``sandbox``).
        api: ``auto``, ``2026``, ``v0`` or ``mws``.
        credentials: as for :class:`~amzcancel.sync.OrderSync` (environment when ``None``).
        endpoint, lwa_endpoint: SP-API (or MWS) base URL and LWA token URL overrides.
        since: where the recorded sync starts (default: the sync's own default).
        marketplaces: marketplace ids (default: the sync's own default).
        paths: the paths a backlog is shared among, as for :class:`~amzcancel.sync.OrderSync`.
        region: ``na``, ``eu`` or ``fe`` (default: the region of ``marketplaces``); ignored
            with an ``endpoint`` and in the in-process sandbox.
        store: a SQLite store path; a temporary one, deleted afterwards, when ``None``.
        redactor: a :class:`Redactor`; the default one when ``None``.
        note: free text stored in the fixture.

    Raises:
        AmzCancelError: configuration, Amazon or store failure (nothing is written then).

    Added in 0.1.0.
    """
    from amzcancel.sync import OrderSync

    options: dict[str, Any] = {"api": api, "since": since, "paths": paths, "region": region}
    if marketplaces:
        options["marketplaces"] = tuple(marketplaces)
    inner: httpx.AsyncBaseTransport | None = None
    clock: Clock = SystemClock()
    if sandbox or marketplace is not None:
        from amzcancel.sandbox import (
            SANDBOX_ACCOUNT,
            SANDBOX_ENDPOINT,
            SANDBOX_LWA_CREDENTIALS,
            SANDBOX_MWS_CREDENTIALS,
            Marketplace,
        )

        credentials = SANDBOX_MWS_CREDENTIALS if api == "mws" else SANDBOX_LWA_CREDENTIALS
        options["account"] = SANDBOX_ACCOUNT
        if endpoint is None:
            # Simulated time, as for `amzcancel sync --sandbox`: rate-limit waits pass at once
            # (on the real clock, v0 and MWS item calls took minutes).
            mp = marketplace or Marketplace.demo()
            inner, clock = mp.transport(), mp.clock
            endpoint = SANDBOX_ENDPOINT
        lwa_endpoint = lwa_endpoint or endpoint.rstrip("/") + "/auth/o2/token"
    # No path here: the fixture is written only after the sync succeeded, never half a session.
    recorder = RecordingTransport(
        transport=inner, redactor=redactor, clock=clock, note=note or _note(api, endpoint)
    )
    with tempfile.TemporaryDirectory(prefix="amzcancel-record-") as scratch:
        sync = OrderSync(
            store=store if store is not None else Path(scratch) / "record.db",
            credentials=credentials,
            endpoint=endpoint,
            lwa_endpoint=lwa_endpoint,
            clock=clock,
            transport=recorder,
            **options,
        )
        with sync:
            result = sync.run_once()
    path = recorder.save(out)
    return RecordResult(path=path, exchanges=len(recorder.exchanges), sync=result)


def _note(api: str, endpoint: str | None) -> str:
    where = endpoint or "the default Amazon endpoint"
    return f"amzcancel record: one sync (api {api}) against {where}"
