.venv/bin/python -m scripts.deploy_endpoint --endpoint-name iris-xgboost --stage dev --capture-percent 100
.venv/bin/python -m scripts.drift_report --stage dev                      # the last 24 hours
.venv/bin/python -m scripts.drift_report --stage dev --from 2026-11-27T00:00 --to 2026-11-28T00:00 --html drift.html
make run CAPTURE=build/capture                                            # the stand-in captures too
.venv/bin/python -m scripts.drift_report --stage local --capture build/capture --since 1h
