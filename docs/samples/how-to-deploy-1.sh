make model                                                                  # 1. train: build/model.tar.gz
.venv/bin/python -m scripts.deploy_endpoint --endpoint-name iris-xgboost --stage dev   # 2. endpoint
make deploy STAGE=dev                                                       # 3. API Gateway + Lambda, in the endpoint's region
curl -X POST https://<rest-api-id>.execute-api.<region>.amazonaws.com/api/predict \
  -H 'Content-Type: application/json' -H "x-api-key: $KEY" \
  -d '{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}'   # 4. call it
.venv/bin/python -m scripts.deploy_api --stage dev --delete                 # 5. tear down the API ...
.venv/bin/python -m scripts.delete_endpoint --endpoint-name iris-xgboost    #    ... and the endpoint
