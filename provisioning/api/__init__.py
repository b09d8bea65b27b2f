"""`make deploy`: API Gateway and the Lambda as one CloudFormation stack, its checks first."""
