make model && .venv/bin/python -m scripts.deploy_endpoint --endpoint-name iris-xgboost --no-wait   # uploads the artifact (or upload it yourself)
.venv/bin/python -m scripts.push_image --repository sagemaker-proxy-model   # the image, in ECR
# in deploy/kubernetes/base/kustomization.yaml set images[0] (newName, newTag) to the URI push_image printed
# and MODEL_S3_URI to the artifact; in base/serviceaccount.yaml, the reader role's ARN. Then:
kubectl kustomize deploy/kubernetes/overlays/prod            # render and read it
kubectl apply -k deploy/kubernetes/overlays/prod             # apply
kubectl -n sagemaker-proxy-model port-forward service/model 8080:8080 &
curl -X POST http://127.0.0.1:8080/invocations -H 'Content-Type: text/csv' --data-binary $'5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3'
kubectl delete -k deploy/kubernetes/overlays/prod            # tear down
