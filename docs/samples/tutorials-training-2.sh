.venv/bin/python -m scripts.train_job --data customers.csv --label churned --local \
    --hyperparameters num_round=200,max_depth=5
make run                                   # serves build/model.tar.gz by its signature
