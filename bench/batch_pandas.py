"""What a user writes by hand instead of `scripts.batch_score`: pandas reads the file with
pyarrow, XGBoost predicts, the label is the highest class, pandas writes the CSV. Run by
`bench.batch_speed` in a venv of its own that has pandas (the project's has none: XGBoost would
import it into every serving process). The model's facts come from its signature, as a user would
type them in; it validates nothing.

    python bench/batch_pandas.py INPUT OUTPUT MODEL.tar.gz SIGNATURE.json ID_COLUMN
"""

import json
import sys
import tarfile

import numpy as np
import pandas as pd
import xgboost as xgb

source, target, artifact, signature_path, id_column = sys.argv[1:6]
with open(signature_path) as file:
    signature = json.load(file)
names = [feature["name"] for feature in signature["features"]]
labels = np.array(signature.get("labels", []))
booster = xgb.Booster()
with tarfile.open(artifact) as tar:
    member = tar.extractfile("xgboost-model")
    assert member is not None
    booster.load_model(bytearray(member.read()))

frame = pd.read_csv(source, engine="pyarrow")
scores = booster.inplace_predict(frame[names].to_numpy()).astype(np.float64)
out = pd.DataFrame({id_column: frame[id_column]})
if signature["objective"] == "multi:softprob":
    out["label"] = labels[scores.argmax(axis=1)]
    for index, label in enumerate(labels):
        out[f"probability_{label}"] = scores[:, index]
elif signature["objective"] == "binary:logistic":
    out["label"] = labels[(scores > 0.5).astype(int)]
    out[f"probability_{labels[0]}"] = 1.0 - scores
    out[f"probability_{labels[1]}"] = scores
else:
    out["value"] = scores
out.to_csv(target, index=False)
