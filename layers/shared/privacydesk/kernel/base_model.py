"""The base of every PrivacyDesk pydantic model.

`defer_build` postpones building a model's validator until the model is first used, so a cold
start pays only for the models its path touches, not for every model its imports define.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)
