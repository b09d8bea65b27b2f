.venv/bin/python -m scripts.import_model --model my-model.ubj --example example.csv --labels no,yes
make run                                                        # serves it locally, by its signature
.venv/bin/python -m scripts.deploy_endpoint --endpoint-name my-model --stage dev --accept-signature-change
make deploy STAGE=dev                                           # the stage's API is now your model's
