.venv/bin/python -m scripts.import_model --model examples/models/diabetes/model.ubj --integer age,sex \
  --example examples/models/diabetes/example.csv --output build/diabetes/model.tar.gz
.venv/bin/python -m scripts.run_local --model build/diabetes/model.tar.gz
curl -X POST http://127.0.0.1:8000/predict -H 'Content-Type: application/json' \
  -d '{"age": 59, "sex": 2, "bmi": 32.1, "bp": 101, "s1": 157, "s2": 93.2, "s3": 38, "s5": 4.8598, "s6": 87}'
# {"predictions":[{"value":199.70924377441406}],"variant":"AllTraffic","request_id":"…"}
