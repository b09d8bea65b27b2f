make bench                           # the table above; also writes build/benchmarks-latest.md
.venv/bin/python -m bench --help     # fewer runs, another model
.venv/bin/python -m bench.breakdown  # where the warm request's extra time goes
.venv/bin/python -m bench.imports    # what a cold start imports that the bare Lambda does not
