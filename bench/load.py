"""A load of one kind for a serving container: ``clients`` threads, each on one kept-alive
connection, POSTing the same CSV body to ``/invocations`` for ``seconds``; prints the answers
counted as JSON. Run as a process of its own, so the server measured does not share its GIL.

    python -m bench.load URL BODY_FILE CLIENTS SECONDS
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit


def hammer(url: str, body: bytes, clients: int, seconds: float) -> dict[str, int]:
    target = urlsplit(url)
    counts = [0] * clients
    failures = [0] * clients
    stop = time.monotonic() + seconds
    headers = {"Content-Type": "text/csv", "Accept": "application/json"}

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
        while time.monotonic() < stop:
            try:
                connection.request("POST", "/invocations", body=body, headers=headers)
                answer = connection.getresponse()
                answer.read()
                if answer.status == 200:
                    counts[index] += 1
                else:
                    failures[index] += 1
                if answer.getheader("Connection", "").lower() == "close":
                    connection.close()
            except (OSError, http.client.HTTPException):
                failures[index] += 1
                connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"answers": sum(counts), "failures": sum(failures)}


if __name__ == "__main__":
    url, body_file, clients, seconds = sys.argv[1:5]
    with open(body_file, "rb") as file:
        print(json.dumps(hammer(url, file.read(), int(clients), float(seconds))))
