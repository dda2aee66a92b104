"""Draw the compliance report as a PNG: requests received per week and the on-time answer rate.

    python -m privacydesk.ops.report_chart --from 2026-01-01 --to 2027-01-01 --out chart.png --url https://<api>
    python -m privacydesk.ops.report_chart --from ... --to ... --out chart.png --stack-file .local/stack.json
    python -m privacydesk.ops.report_chart --out chart.png --input report.json

The report comes from the admin API (`GET /v1/admin/reports/requests`), signed with SigV4
(service execute-api) using the caller's AWS credentials, or the stand-in's from its stack
file; or from a report saved as JSON. matplotlib is a development dependency: this command runs
on a DPO's machine, never in a Lambda.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials, ReadOnlyCredentials
from botocore.session import Session

REPORT_PATH = "/v1/admin/reports/requests"


def fetch_report(
    base_url: str, start: str, end: str, credentials: Credentials | ReadOnlyCredentials, region: str
) -> Any:
    split = urlsplit(base_url)
    if split.scheme != "https" and not (split.scheme == "http" and split.hostname in ("127.0.0.1", "localhost")):
        raise SystemExit("the API URL must be https (or http on loopback, the stand-in)")
    url = f"{base_url.rstrip('/')}{REPORT_PATH}?{urlencode({'from': start, 'to': end})}"
    request = AWSRequest(method="GET", url=url, headers={"Accept": "application/json"})
    SigV4Auth(credentials, "execute-api", region).add_auth(request)
    prepared = urllib.request.Request(url, headers=dict(request.headers.items()), method="GET")  # noqa: S310 - checked
    with urllib.request.urlopen(prepared, timeout=60) as reply:  # noqa: S310  # nosec B310 - scheme checked above
        return json.loads(reply.read())


def draw(report: dict[str, Any], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import PercentFormatter

    weeks = report["weekly"]
    labels = [w["week_start"] for w in weeks]
    figure, received_axis = plt.subplots(figsize=(max(8.0, 0.35 * len(weeks) + 4), 4.5), dpi=120)
    received_axis.bar(labels, [w["received"] for w in weeks], color="#9bbbd9", label="requests received")
    received_axis.set_ylabel("requests received")
    received_axis.tick_params(axis="x", labelrotation=60, labelsize=7)
    rate_axis = received_axis.twinx()
    points = [
        (label, w["on_time_rate"]) for label, w in zip(labels, weeks, strict=True) if w["on_time_rate"] is not None
    ]
    rate_axis.plot(
        [p[0] for p in points], [p[1] for p in points], color="#c0392b", marker="o", label="answered on time"
    )
    rate_axis.set_ylim(0, 1.05)
    rate_axis.yaxis.set_major_formatter(PercentFormatter(1.0))
    rate_axis.set_ylabel("answered on time (by week received)")
    overall = report["answered_on_time"]["rate"]
    received_axis.set_title(
        f"Privacy requests {report['period_from'][:10]} to {report['period_to'][:10]}: "
        f"{report['received']} received, "
        + (f"{overall:.0%} answered on time" if overall is not None else "none due yet")
    )
    handles = received_axis.get_legend_handles_labels()[0] + rate_axis.get_legend_handles_labels()[0]
    received_axis.legend(handles=handles, loc="upper left", fontsize=8)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, format="png")
    plt.close(figure)
    return out


def _source(args: argparse.Namespace) -> Any:
    if args.input:
        return json.loads(Path(args.input).read_text(encoding="utf-8"))
    if not (args.start and args.end):
        raise SystemExit("--from and --to are needed to fetch a report")
    if args.stack_file:
        stack = json.loads(Path(args.stack_file).read_text(encoding="utf-8"))
        keys = stack["credentials"]
        credentials = Credentials(keys["aws_access_key_id"], keys["aws_secret_access_key"])
        return fetch_report(stack["api_url"], args.start, args.end, credentials, stack["region"])
    session = Session()
    found = session.get_credentials()
    if found is None:
        raise SystemExit("no AWS credentials found (profile, environment or role)")
    region = args.region or session.get_config_variable("region")
    if not region:
        raise SystemExit("give --region (or configure a default region)")
    return fetch_report(args.url, args.start, args.end, found.get_frozen_credentials(), region)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m privacydesk.ops.report_chart", description=__doc__.split("\n")[0])
    parser.add_argument("--from", dest="start", help="first day (YYYY-MM-DD, Manila) or ISO datetime")
    parser.add_argument("--to", dest="end", help="day after the last (the period is [from, to))")
    parser.add_argument("--out", required=True, type=Path, help="where to write the PNG")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="the HTTP API's base URL (SigV4 with your AWS credentials)")
    where.add_argument("--stack-file", help="the stand-in's .local/stack.json (its URL and local credentials)")
    where.add_argument("--input", help="a report saved as JSON")
    parser.add_argument("--region", help="the API's region (default: your configured region)")
    args = parser.parse_args(argv)
    written = draw(_source(args), args.out)
    print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main())
