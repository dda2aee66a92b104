"""Where a data-map store's table or bucket is, at run time: the variable its `Location` names.

template.yaml sets the variable (tools/datamap_wiring.py writes it) from a table or bucket the
template creates, or from a parameter naming one that already exists, by name or by ARN.
"""

from __future__ import annotations

import os

from privacydesk.datamap.domain.model import Store
from privacydesk.datamap.domain.store_errors import StoreMisconfigured


def name_from_arn(value: str) -> str:
    """A table or bucket name, given its name or its ARN (arn:...:table/<name>, arn:aws:s3:::<name>)."""
    if not value.startswith("arn:"):
        return value
    resource = value.split(":", 5)[-1]
    return resource.removeprefix("table/").split("/", 1)[0]


def _required(store: Store, variable: str) -> str:
    """A store's variable as the template set it; a clear StoreMisconfigured when it did not."""
    value = os.environ.get(variable, "").strip()
    if not value:
        raise StoreMisconfigured(
            store.name, f"{variable} is not set: run tools/datamap_wiring.py and deploy the template it wrote"
        )
    return value


def physical_name(store: Store) -> str:
    """The table (dynamodb) or bucket (s3) name the function was deployed with."""
    return name_from_arn(_required(store, store.location.env))


def service_endpoint(store: Store) -> str:
    """A webhook store's base URL (its `<env>_URL`); empty when the stack was given none."""
    return os.environ.get(store.service_location.url_env, "").strip().rstrip("/")


def service_secret_id(store: Store) -> str:
    """The Secrets Manager id of a webhook store's signing keys (its `<env>_SECRET_ID`)."""
    return _required(store, store.service_location.secret_env)
