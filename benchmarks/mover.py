"""The mover's handler against the blog's loop, on batches of log objects, against an S3
server in another process.

    python benchmarks/mover.py [--objects 100] [--latency-ms 20] [--concurrency 32] [--rounds 3]

Setup: a moto server in a child process (its CPU is not the client's, so the handler's
threads do not wait on the server for the GIL), and every S3 request of either side delayed
by the same ``--latency-ms`` (a botocore ``before-send`` hook: moto answers in well under a
millisecond, real S3 takes tens of milliseconds, which is what a sequential loop waits on).
The Lambda's own client (``make_s3_client``) is pointed at the server through
``AWS_ENDPOINT_URL_S3``, as boto3 reads it.

* **baseline - the blog's loop**: one message after another, CopyObject then DeleteObject,
  errors logged and swallowed (the loop that lost 0.02% of the objects, and that overwrites
  whatever is at the target);
* **s3logs-athena handler**: the Lambda handler on the same kind of batch - concurrent
  moves on one shared client, the copy pinned to the event's ETag and conditional on a free
  target (its ETag is the verification), the delete conditional on the source's ETag.

Both clients are warmed up on a few objects first (a Lambda container's pool and
connections persist across invocations); each side then moves ``--rounds`` fresh batches
and the fastest counts. Printed: batch seconds, the speed-up, and S3 requests per object
(counted with a ``before-send`` hook, i.e. HTTP requests actually sent) with their ratio to
the loop's. Targets from the issues: >= 10x faster than the loop; 2 requests per object on
the happy path, as many as the loop, with every guarantee kept.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import multiprocessing
import os
import sys
from collections import Counter
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import Timing, header, print_table, timed

for _name, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ.setdefault(_name, _value)

import boto3  # noqa: E402

from s3logs_athena.layout import Layout  # noqa: E402
from s3logs_athena.mover import MoverRuntime, MoverSettings  # noqa: E402
from s3logs_athena.mover.runtime import make_s3_client  # noqa: E402
from s3logs_athena.testing.faults import FaultInjector, FaultRates  # noqa: E402

BUCKET = "bench-central-logs"
BLOG = "blog loop (sequential copy, delete)"


def serve(channel: Connection) -> None:
    """Child process: a moto S3 server on a free port; report its URL, wait for 'stop'."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    channel.send(f"http://{host}:{port}")
    channel.recv()
    server.stop()


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


def per_object(sent: Counter[str], moved: int) -> tuple[float, str]:
    """Requests per object, and the same by operation."""
    detail = ", ".join(f"{op} {n / moved:.2f}" for op, n in sorted(sent.items()))
    return sum(sent.values()) / moved, detail


def measure(args: argparse.Namespace, endpoint: str) -> None:
    layout = Layout()
    latency = FaultRates(latency=args.latency_ms / 1000)
    plain = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint)
    plain.create_bucket(Bucket=BUCKET)

    blog_s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint)
    # Latency only: real S3 enforces the conditions itself (the double's check would add
    # uncounted requests to the measurement).
    blog_faults = FaultInjector(latency, enforce_conditions=False).install(blog_s3)
    blog_loop(blog_s3, put_batch(plain, "warm-blog", 5), layout)  # a warm client
    blog_faults.sent.clear()
    runs: list[Timing] = []
    for round_no in range(args.rounds):
        event = put_batch(plain, f"blog{round_no}", args.objects)
        runs.append(timed(BLOG, args.objects, partial(blog_loop, blog_s3, event, layout))[0])
    baseline = min(runs, key=lambda t: t.seconds)

    os.environ["AWS_ENDPOINT_URL_S3"] = endpoint  # the Lambda's client, as boto3 finds it
    ours_s3 = make_s3_client(args.concurrency)
    ours_faults = FaultInjector(latency, enforce_conditions=False).install(ours_s3)
    runtime = MoverRuntime(
        MoverSettings(layout=layout, concurrency=args.concurrency), ours_s3, stream=io.StringIO()
    )
    # A warm container (pool threads and connections up), as for every invocation but a
    # cold start's first.
    runtime.handle(put_batch(plain, "warm-ours", args.concurrency), None)
    ours_faults.sent.clear()
    runs, failed = [], 0
    for round_no in range(args.rounds):
        event = put_batch(plain, f"ours{round_no}", args.objects)
        timing, response = timed(
            f"s3logs-athena handler ({args.concurrency} threads)",
            args.objects,
            partial(runtime.handle, event, None),
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
        f"mover: one batch of {args.objects} log objects, moto server in another process + "
        f"{args.latency_ms:g} ms injected latency per S3 request (fastest of {args.rounds} "
        "rounds per side)"
    )
    print_table(baseline, [mover], "objects")
    print()
    print(f"batch seconds: blog loop {baseline.seconds:.2f}, handler {mover.seconds:.2f}")
    print(f"speed-up: {baseline.seconds / mover.seconds:.1f}x the blog loop (target >= 10x)")
    moved = args.objects * args.rounds
    blog_rate, blog_detail = per_object(blog_faults.sent, moved)
    ours_rate, ours_detail = per_object(ours_faults.sent, moved)
    print(f"S3 requests per object, blog loop: {blog_rate:.2f} ({blog_detail})")
    print(f"S3 requests per object, handler: {ours_rate:.2f} ({ours_detail})")
    print(f"requests per object: {ours_rate / blog_rate:.2f}x the blog loop's (target 2 = 1.00x)")
    print(f"failed items: {failed}; sources left: {left}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--rounds", type=int, default=3, help="fresh batches per side; the fastest counts"
    )
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=serve, args=(child,), daemon=True)
    server.start()
    try:
        measure(args, parent.recv())
    finally:
        parent.send("stop")
        server.join(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
