make run                                                                   # 1. the example, served locally
.venv/bin/python -m scripts.deploy_endpoint --endpoint-name iris-xgboost --stage dev   # 2. the endpoint
make deploy STAGE=dev                                                      # 3. API Gateway and the Lambda
