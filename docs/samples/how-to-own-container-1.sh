make model                                                                    # the artifact
.venv/bin/python -m scripts.push_image --repository sagemaker-proxy-model     # build, push; prints the URI
.venv/bin/python -m scripts.deploy_endpoint --endpoint-name iris-own --image "$IMAGE_URI"   # the URI push_image printed
