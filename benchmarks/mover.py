"""The mover's handler against the blog's loop, on one batch of 100 log objects.

    python benchmarks/mover.py [--objects 100] [--latency-ms 20] [--concurrency 32]

Both run in this process on moto with the same injected latency per S3 request (moto
answers in well under a millisecond of wall time; real S3 takes tens of milliseconds, which
is what a sequential loop waits on):

* **baseline - the blog's loop**: one message after another, CopyObject then DeleteObject,
  errors logged and swallowed (the loop that lost 0.02% of the objects);
* **s3logs-athena handler**: the Lambda handler on the same kind of batch - concurrent
  moves on one shared client, copy pinned to the event's ETag, target verified before the
  delete.

Both clients are warmed up on a few objects first (a Lambda container's pool and
connections persist across invocations); each side then moves ``--rounds`` fresh batches
and the fastest counts. Printed: batch seconds, the ratio, and S3 requests per object
(counted with a botocore ``before-send`` hook, i.e. HTTP requests actually sent). Targets
from the issue: >= 10x faster than the loop, <= 3 requests per object on the happy path.
moto runs in this process, so its CPU time per request competes with the handler's
threads for the GIL: the ratio measured here understates what real S3 latency gives.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import header, print_table, timed

for _name, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ.setdefault(_name, _value)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from s3logs_athena.layout import Layout  # noqa: E402
from s3logs_athena.mover import MoverRuntime, MoverSettings  # noqa: E402
from s3logs_athena.mover.runtime import make_s3_client  # noqa: E402
from s3logs_athena.testing.faults import FaultInjector, FaultRates  # noqa: E402

BUCKET = "bench-central-logs"


def put_batch(s3: Any, run: str, count: int) -> dict[str, Any]:
    """Put ``count`` log objects; a Lambda SQS event of EventBridge bodies naming them."""
    records = []
    for n in range(count):
        key = f"app-{run}/2024-03-{1 + n % 28:02d}-10-{n // 60:02d}-{n % 60:02d}-{n:016X}"
        body = f"79a5 app-{run} [01/Mar/2024:10:00:00 +0000] 192.0.2.1 - R{n} GET\n" * 20
        etag = s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode())["ETag"].strip('"')
        detail = {
            "bucket": {"name": BUCKET},
            "object": {"key": key, "size": len(body), "etag": etag},
        }
        records.append(
            {
                "messageId": f"{run}-{n}",
                "receiptHandle": f"h-{run}-{n}",
                "body": json.dumps(
                    {"source": "aws.s3", "detail-type": "Object Created", "detail": detail}
                ),
                "attributes": {"ApproximateReceiveCount": "1"},
            }
        )
    return {"Records": records}


def blog_loop(s3: Any, event: dict[str, Any], layout: Layout) -> dict[str, Any]:
    """The seed: copy then delete, one message after another, errors swallowed."""
    for record in event["Records"]:
        detail = json.loads(record["body"])["detail"]
        bucket, key = detail["bucket"]["name"], detail["object"]["key"]
        try:
            target = layout.target_key(key)
            s3.copy_object(Bucket=bucket, Key=target, CopySource={"Bucket": bucket, "Key": key})
            s3.delete_object(Bucket=bucket, Key=key)
        except Exception as exc:
            print(f"error moving {key}: {exc}", file=sys.stderr)  # ...and carry on
    return {"batchItemFailures": []}


def remaining(s3: Any, prefix: str) -> int:
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return int(listing.get("KeyCount", 0))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--rounds", type=int, default=3, help="fresh batches per side; the fastest counts"
    )
    args = parser.parse_args()
    layout = Layout()

    with mock_aws():
        plain = boto3.client("s3", region_name="us-east-1")
        plain.create_bucket(Bucket=BUCKET)

        blog_s3 = boto3.client("s3", region_name="us-east-1")
        blog_faults = FaultInjector(
            FaultRates(latency=args.latency_ms / 1000), enforce_conditions=False
        ).install(blog_s3)
        blog_loop(blog_s3, put_batch(plain, "warm-blog", 5), layout)  # a warm client
        blog_faults.sent.clear()
        runs = []
        for round_no in range(args.rounds):
            event = put_batch(plain, f"blog{round_no}", args.objects)
            runs.append(
                timed(
                    "blog loop (sequential copy, delete)",
                    args.objects,
                    lambda event=event: blog_loop(blog_s3, event, layout),  # type: ignore[misc]
                )[0]
            )
        baseline = min(runs, key=lambda t: t.seconds)

        ours_s3 = make_s3_client(args.concurrency)
        ours_faults = FaultInjector(
            FaultRates(latency=args.latency_ms / 1000), enforce_conditions=False
        ).install(ours_s3)
        runtime = MoverRuntime(
            MoverSettings(layout=layout, concurrency=args.concurrency),
            ours_s3,
            stream=io.StringIO(),
        )
        # A warm container (pool threads and connections up), as for every invocation
        # but a cold start's first.
        runtime.handle(put_batch(plain, "warm-ours", args.concurrency), None)
        ours_faults.sent.clear()
        runs, failed = [], 0
        for round_no in range(args.rounds):
            event = put_batch(plain, f"ours{round_no}", args.objects)
            timing, response = timed(
                f"s3logs-athena handler ({args.concurrency} threads)",
                args.objects,
                lambda event=event: runtime.handle(event, None),  # type: ignore[misc]
            )
            runs.append(timing)
            failed += len(response["batchItemFailures"])
        mover = min(runs, key=lambda t: t.seconds)
        runtime.close()
        left = {
            "blog": sum(remaining(plain, f"app-blog{r}/") for r in range(args.rounds)),
            "ours": sum(remaining(plain, f"app-ours{r}/") for r in range(args.rounds)),
        }

    header(
        f"mover: one batch of {args.objects} log objects, moto + {args.latency_ms:g} ms "
        f"injected latency per S3 request (fastest of {args.rounds} rounds per side)"
    )
    print_table(baseline, [mover], "objects")
    print()
    print(f"batch seconds: blog loop {baseline.seconds:.2f}, handler {mover.seconds:.2f}")
    print(f"speed-up: {baseline.seconds / mover.seconds:.1f}x (target >= 10x)")
    moved = args.objects * args.rounds
    for name, faults in (("blog loop", blog_faults), ("handler", ours_faults)):
        sent = sum(faults.sent.values())
        detail = ", ".join(f"{op} {n}" for op, n in sorted(faults.sent.items()))
        print(
            f"S3 requests per object, {name}: {sent / moved:.2f} ({detail})"
            + (" (target <= 3)" if name == "handler" else "")
        )
    print(f"failed items: {failed}; sources left: {left}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
