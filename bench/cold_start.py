"""One cold start: import a handler, serve one API Gateway event, report peak memory.

Run as a fresh process by the benchmark: ``python bench/cold_start.py ours|bare EVENT_JSON``.
Results go to stderr (the proxy logs its request line on stdout).
"""

import json
import resource
import sys


class Context:
    aws_request_id = "cold-start"
    function_name = "bench"
    memory_limit_in_mb = 128


def main() -> None:
    kind, event = sys.argv[1], json.loads(sys.argv[2])
    if kind == "ours":
        from app import app

        response = app(event, Context())
    else:
        from bare_lambda import handler

        response = handler(event, Context())
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    predictions = json.loads(response["body"]).get("predictions", [])
    result = {"status": response["statusCode"], "peak_kib": peak_kib, "predictions": predictions}
    print(json.dumps(result), file=sys.stderr)


if __name__ == "__main__":
    main()
