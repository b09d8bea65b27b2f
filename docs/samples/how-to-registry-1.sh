make model                                                          # or scripts.import_model for your own
.venv/bin/python -m scripts.register_model --group iris --metric accuracy=0.93 --description "seed 42"
.venv/bin/python -m scripts.model_versions approve --group iris --version 1 --reason "holdout 0.93"
.venv/bin/python -m scripts.deploy_endpoint --model-package-group iris --endpoint-name iris-xgboost --stage dev
make deploy STAGE=dev                                               # the stage now validates by version 1's signature
# ... a new model: train or import it, register it (version 2), approve it, deploy the group again: version 2 serves
.venv/bin/python -m scripts.model_versions list --group iris        # versions, status, contract, metrics, commit, who serves what
.venv/bin/python -m scripts.deploy_endpoint --model-package-group iris --endpoint-name iris-xgboost --stage dev --previous
make deploy STAGE=dev                                               # back on version 1, and its signature
