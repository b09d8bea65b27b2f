.venv/bin/python -m scripts.batch_score --stage dev --id-column id \
  --input s3://my-data/in/records.csv --output s3://my-data/scored/ --instance-count 2
