.venv/bin/python -m scripts.train_job --data recent.csv --label churned --group churn
.venv/bin/python -m scripts.model_versions approve --group churn --version 2 --reason "retrained on drift"
.venv/bin/python -m scripts.deploy_endpoint --model-package-group churn --endpoint-name churn --stage dev --capture-percent 20
