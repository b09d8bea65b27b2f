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


def peak_rss_kib() -> int:
    """This process's peak resident memory. Linux's VmHWM is this process image's own;
    ``ru_maxrss`` keeps the peak of the process that forked it across exec (seen: a benchmark
    that had loaded XGBoost gave every child its 131 MiB)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    kind, event = sys.argv[1], json.loads(sys.argv[2])
    if kind == "ours":
        from app import app

        response = app(event, Context())
    else:
        from bare_lambda import handler

        response = handler(event, Context())
    peak_kib = peak_rss_kib()
    predictions = json.loads(response["body"]).get("predictions", [])
    result = {"status": response["statusCode"], "peak_kib": peak_kib, "predictions": predictions}
    print(json.dumps(result), file=sys.stderr)


if __name__ == "__main__":
    main()
