make setup                                 # the environments, without starting anything
.venv/bin/python -m scripts.train_job --data customers.csv --label churned --group churn \
    --hyperparameters num_round=200,max_depth=5,eta=0.1,eval_metric=auc,early_stopping_rounds=10
.venv/bin/python -m scripts.model_versions approve --group churn --version 1 --reason "auc 0.91"
.venv/bin/python -m scripts.deploy_endpoint --model-package-group churn --endpoint-name churn --stage dev \
    --accept-signature-change                # dev served Iris: its API becomes churn's
make deploy STAGE=dev                      # API Gateway + Lambda in front of it
