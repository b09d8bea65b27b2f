"""The baseline: the Lambda from the AWS tutorials, no validation, no error mapping, no logs."""

import json
import os

import boto3

ENDPOINT_NAME = os.environ["SAGEMAKER_ENDPOINT_NAME"]
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
runtime = boto3.client("sagemaker-runtime")


def handler(event, context):
    data = json.loads(event["body"])
    records = data.get("instances", [data])
    payload = "\n".join(",".join(str(record[name]) for name in FEATURES) for record in records)
    response = runtime.invoke_endpoint(
        EndpointName=ENDPOINT_NAME,
        ContentType="text/csv",
        Accept="application/json",
        Body=payload,
    )
    return {"statusCode": 200, "body": response["Body"].read().decode()}
