"""Optional faults: server errors, HTML error pages, slow answers and dropped connections.

Each Amazon-shaped request draws once from a generator seeded with the marketplace's seed, so
the same seed and the same request sequence give the same faults.

Added in 0.1.0.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from enum import StrEnum

from amzcancel.sandbox._http import SandboxResponse, html_response, spapi_error, xml_response

__all__ = ["Fault", "FaultKind", "Faults"]


class FaultKind(StrEnum):
    """The kinds of fault the sandbox can inject.

    Added in 0.1.0.
    """

    SERVER_ERROR = "server_error"
    """500 InternalFailure with a JSON (MWS: XML) body."""
    UNAVAILABLE = "unavailable"
    """503 ServiceUnavailable with a JSON (MWS: XML) body."""
    HTML_ERROR = "html_error"
    """502 with an HTML page, as a load balancer sends."""
    SLOW = "slow"
    """The right answer, after a delay on the marketplace's clock."""
    DROP = "drop"
    """The connection closes without an answer."""


_WEIGHTS = (
    (FaultKind.SERVER_ERROR, 3),
    (FaultKind.UNAVAILABLE, 2),
    (FaultKind.HTML_ERROR, 2),
    (FaultKind.SLOW, 2),
    (FaultKind.DROP, 2),
)

_KINDS = [kind for kind, _ in _WEIGHTS]
_KIND_WEIGHTS = [weight for _, weight in _WEIGHTS]

_HTML_PAGE = (
    "<html>\r\n<head><title>{status} {title}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {title}</h1></center>\r\n</body>\r\n</html>\r\n"
)
_MWS_ERROR = (
    '<?xml version="1.0"?>\n<ErrorResponse xmlns="https://mws.amazonservices.com/Orders/2013-09-01">'
    "<Error><Type>Receiver</Type><Code>{code}</Code><Message>{message}</Message></Error>"
    "<RequestId>{request_id}</RequestId></ErrorResponse>"
)


@dataclass(frozen=True)
class Fault:
    """One injected fault.

    Added in 0.1.0.
    """

    kind: FaultKind

    def response(self, request_id: str, *, mws: bool) -> SandboxResponse:
        """The error answer of a SERVER_ERROR, UNAVAILABLE or HTML_ERROR fault."""
        headers = [("x-amzn-RequestId", request_id)]
        if self.kind is FaultKind.HTML_ERROR:
            return html_response(502, _HTML_PAGE.format(status=502, title="Bad Gateway"))
        if self.kind is FaultKind.SERVER_ERROR:
            status, code, message = (
                500,
                "InternalFailure",
                "We encountered an internal error. Please try again.",
            )
            mws_code = "InternalError"
        else:
            status, code, message = 503, "ServiceUnavailable", "Service is temporarily unavailable."
            mws_code = "ServiceUnavailable"
        if mws:
            body = _MWS_ERROR.format(code=mws_code, message=message, request_id=request_id)
            return xml_response(status, body)
        return spapi_error(status, code, message, headers=headers)


class Faults:
    """Decides, per request, whether to inject a fault.

    Args:
        probability: chance of a fault per request (0 disables faults).
        seed: seeds the decisions.
        slow_seconds: the delay of a SLOW fault.

    Added in 0.1.0.
    """

    def __init__(self, probability: float, *, seed: int, slow_seconds: float) -> None:
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"fault probability must be within 0..1, got {probability}")
        self.probability = probability
        self.slow_seconds = slow_seconds
        self._rng = random.Random(f"faults:{seed}")
        self._lock = threading.Lock()
        self.injected: dict[str, int] = {}
        """Faults injected so far, by kind."""

    def draw(self) -> Fault | None:
        """The fault for the next request, or None."""
        if self.probability <= 0.0:
            return None
        with self._lock:
            if self._rng.random() >= self.probability:
                return None
            kind = self._rng.choices(_KINDS, _KIND_WEIGHTS)[0]
            self.injected[kind.value] = self.injected.get(kind.value, 0) + 1
        return Fault(kind)
