curl -X POST http://127.0.0.1:8000/predict -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $(.venv/bin/python -m scripts.local_token)" \
  -d '{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}'
