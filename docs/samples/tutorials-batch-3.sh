.venv/bin/python -m scripts.batch_triggers --stage dev --input s3://my-data/incoming/ \
  --output s3://my-data/scored/ --id-columns 1 --on-arrival --schedule "rate(1 day)"
make deploy STAGE=dev
