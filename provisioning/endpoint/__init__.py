"""The SageMaker endpoint: the model and its resources, the rollout, alarms, teardown."""
