npx newman run examples/postman/sagemaker-proxy.postman_collection.json \
  -e examples/postman/local.postman_environment.json
