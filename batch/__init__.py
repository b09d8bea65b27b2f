"""Scoring files of records by the model's signature: locally with the serving image's own code
(``scripts.batch_score``), and at scale with SageMaker Batch Transform (``batch.transform``)."""
