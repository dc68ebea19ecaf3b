"""HTTP over http.client, so that every byte of a request is ours: requests as sent
(printable as a reproduction), answers, and a keep-alive connection."""

from __future__ import annotations

import http.client
import json
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:   # run.py imports this module
    from fuzz_suite.run import Run


@dataclass
class Answer:
    """A server's answer."""

    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> Any:
        """The body parsed as JSON (gunzipped first if the server compressed it)."""
        body = self.body
        if self.headers.get("content-encoding", "").lower() == "gzip":
            body = zlib.decompress(body, 31)
        return json.loads(body)


@dataclass
class Request:
    """A request as sent: enough to print a reproduction."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes | None = None
    body_note: str = ""  # for streamed bodies, what was streamed

    def describe(self, base: str, labels: dict[str, str]) -> str:
        def redact(text: str) -> str:
            for secret, label in labels.items():
                text = text.replace(secret, label)
            return text

        target = self.target if len(self.target) <= 300 else f"{self.target[:300]}… ({len(self.target)} chars)"
        lines = [f"    request: {self.method} {base}{redact(target)}"]
        if self.headers:
            shown = " | ".join(f"{k}: {redact(v)[:200]}" for k, v in self.headers)
            lines.append(f"    headers: {shown}")
        else:
            lines.append("    headers: (none)")
        if self.body is not None:
            more = "…" if len(self.body) > 400 else ""
            lines.append(f"    body ({len(self.body)} bytes): {redact(repr(self.body[:400]))}{more}")
        if self.body_note:
            lines.append(f"    body: {self.body_note}")
        return "\n".join(lines)


class Client:
    """One keep-alive HTTP/1.1 connection to the server; reconnects after errors."""

    def __init__(self, run: Run, timeout: float = 30):
        self.run = run
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def send(self, request: Request, chunks: Iterable[bytes] | None = None,
             timeout: float | None = None) -> Answer | str:
        """Sends `request` (its body, or `chunks` with chunked encoding); returns the
        answer, or a string saying why there was none."""
        self.run.count_request()
        start = time.monotonic()
        for attempt in (0, 1):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.run.port,
                                                             timeout=timeout or self.timeout)
            connection = self.connection
            connection.timeout = timeout or self.timeout
            if connection.sock is not None:
                connection.sock.settimeout(connection.timeout)
            sent_error = None
            try:
                connection.putrequest(request.method, request.target, skip_host=True, skip_accept_encoding=True)
                connection.putheader("Host", f"127.0.0.1:{self.run.port}")
                names = {name.lower() for name, _ in request.headers}
                for name, value in request.headers:
                    connection.putheader(name, value)
                if request.body is not None and "content-length" not in names:
                    connection.putheader("Content-Length", str(len(request.body)))
                if chunks is not None:
                    connection.putheader("Transfer-Encoding", "chunked")
                connection.endheaders()
            except (ConnectionError, OSError) as error:
                # A stale keep-alive connection the server closed: retry once on a new one.
                self.close()
                if attempt == 0:
                    continue
                return f"could not send the request: {error!r}"
            try:
                if request.body:
                    connection.send(request.body)
                if chunks is not None:
                    for chunk in chunks:
                        connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    connection.send(b"0\r\n\r\n")
            except (ConnectionError, OSError) as error:
                # The server may answer (413) and stop reading before the body is all sent.
                sent_error = error
            try:
                response = connection.getresponse()
                body = response.read()  # b"" for HEAD; always read, to free the connection
                headers = {name.lower(): value for name, value in response.getheaders()}
                answer = Answer(response.status, headers, body, time.monotonic() - start)
                if response.will_close or sent_error is not None:
                    self.close()
                return answer
            except TimeoutError:   # socket.timeout
                self.close()
                return f"no answer within {connection.timeout:.0f} s (hang)"
            except (ConnectionError, OSError, http.client.HTTPException) as error:
                self.close()
                if attempt == 0 and sent_error is None and isinstance(error, http.client.RemoteDisconnected) \
                        and not request.body and chunks is None:
                    continue  # stale keep-alive connection
                while_sending = f" (while sending: {sent_error!r})" if sent_error else ""
                return f"connection closed without an answer: {error!r}{while_sending}"
        return "unreachable"
