"""The baseline: the Lambda from the AWS tutorials, no validation, no error mapping, no logs."""

import json
import os

import boto3

ENDPOINT_NAME = os.environ["SAGEMAKER_ENDPOINT_NAME"]
# The tutorial names its model's features in code; the benchmark hands them in.
FEATURES = os.environ["BENCH_FEATURES"].split(",")
runtime = boto3.client("sagemaker-runtime")


def handler(event, context):
    data = json.loads(event["body"])
    records = data.get("instances", [data])
    payload = "\n".join(
        ",".join(str(record.get(name, "")) for name in FEATURES) for record in records
    )
    response = runtime.invoke_endpoint(
        EndpointName=ENDPOINT_NAME,
        ContentType="text/csv",
        Accept="application/json",
        Body=payload,
    )
    return {"statusCode": 200, "body": response["Body"].read().decode()}
