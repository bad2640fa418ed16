"""The guard: ``query run --engine athena --max-bytes`` (and its environment default) refuses
a query whose estimate is over the limit with exit 2 and one line, and sends nothing to
Athena (moto records no StartQueryExecution); under the limit the run shows the actual bytes
next to the estimate. Sizes as people type them."""

from __future__ import annotations

from datetime import date
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from moto.athena import athena_backends
from moto.core import DEFAULT_ACCOUNT_ID

from s3logs_athena.cli.main import cli
from s3logs_athena.cost.estimate import Estimate
from s3logs_athena.cost.guard import CostLimitError, check_limit, max_bytes_setting
from s3logs_athena.cost.sizes import format_size, parse_size, usd_per_tb
from s3logs_athena.errors import ConfigError, InputError
from s3logs_athena.layout import Layout

from .test_engine_athena import REGION, FakeAthena, athena  # noqa: F401  (fixture)

LOG_BUCKET = "central-logs"
LOCATION = f"s3://{LOG_BUCKET}/PartitionedLogs/"
RANGE = ["-p", "start=2024-05-01", "-p", "end=2024-05-02"]
# Two days of partitions (the range and its delivery-lag day), two buckets, 3 x 1 MiB each.
OBJECT = 1024**2


def _fill(sizes: int = OBJECT) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=LOG_BUCKET)
    for day in (1, 2):
        for bucket in ("app-assets", "app-uploads"):
            for index in range(3):
                key = Layout().partition_prefix(date(2024, 5, day), bucket)
                key += f"2024-05-{day:02d}-0{index}-00-00-{index:016X}"
                s3.put_object(Bucket=LOG_BUCKET, Key=key, Body=b"x" * sizes)


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["query", "run", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def _athena_args(*extra: str) -> list[str]:
    return ["top-ips", "--engine", "athena", "--region", REGION, "--workgroup", "analysts",
            *RANGE, *extra]  # fmt: skip


def _executions() -> int:
    return len(athena_backends[DEFAULT_ACCOUNT_ID][REGION].executions)


def test_over_the_limit_is_refused_and_nothing_is_sent(athena: FakeAthena) -> None:  # noqa: F811
    _fill()
    code, out, err = _run(*_athena_args("--max-bytes", "10MiB", "--location", LOCATION))
    assert code == 2
    assert out == ""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    (line,) = lines
    assert "12.6 MB" in line and "10.5 MB" in line  # the estimate and the limit
    assert "-p start=" in line and "-p buckets=" in line  # how to narrow it
    assert "nothing was sent to Athena" in line
    assert athena.requests == [] and _executions() == 0


def test_the_environment_sets_the_default_limit(athena: FakeAthena) -> None:  # noqa: F811
    _fill()
    env = {"S3LOGS_ATHENA_MAX_BYTES": "5MB"}
    code, _, err = _run(*_athena_args("--location", LOCATION), env=env)
    assert code == 2 and "over the limit of 5.0 MB (5,000,000 bytes)" in err
    assert athena.requests == []
    # The option wins over the environment.
    athena.queue([("remoteip", "varchar"), ("requests", "bigint")], [["192.0.2.66", "3"]])
    code, _, err = _run(*_athena_args("--location", LOCATION, "--max-bytes", "1GB"), env=env)
    assert code == 0, err
    assert len(athena.requests) == 1


def test_under_the_limit_runs_and_compares_with_the_actual(athena: FakeAthena) -> None:  # noqa: F811
    _fill()
    athena.statistics = {"DataScannedInBytes": 3 * OBJECT}
    athena.queue([("remoteip", "varchar"), ("requests", "bigint")], [["192.0.2.66", "3"]])
    code, out, err = _run(
        *_athena_args("--max-bytes", "1GiB", "--location", LOCATION, "-p", "buckets=app-assets")
    )
    assert code == 0, err
    assert "192.0.2.66" in out
    assert "estimate vs actual: Athena scanned 3.1 MB" in err
    assert "the estimate was 6.3 MB, 2.00x the actual" in err
    (request,) = athena.requests
    assert "bucket IN ('app-assets')" in request["QueryString"]


def test_the_glue_table_is_the_default_location(athena: FakeAthena) -> None:  # noqa: F811
    from s3logs_athena.table.ddl import TableSpec
    from s3logs_athena.testing.glue_catalog import create_catalog

    _fill()
    glue = boto3.client("glue", region_name=REGION)
    spec = TableSpec(location=LOCATION, bucket_projection="injected", years=(2024, 2024))
    create_catalog(glue, spec)  # as `ddl --apply` leaves it
    code, _, err = _run(*_athena_args("--max-bytes", "1GiB"))
    assert code == 2 and "injected" in err and "-p buckets" in err
    code, _, err = _run(*_athena_args("--max-bytes", "5MiB", "-p", "buckets=app-assets"))
    assert code == 2 and "6.3 MB" in err
    assert athena.requests == []


def test_duckdb_runs_are_not_estimated(tmp_path: Any) -> None:
    code, _, err = _run("top-ips", "--cache", str(tmp_path), *RANGE, "--max-bytes", "1B")
    assert code == 2 and "holds no data" in err  # the cache's message, not the guard's


@pytest.mark.parametrize(
    ("text", "size"),
    [("10GB", 10 * 10**9), ("500MiB", 500 * 2**20), ("1.5GiB", 3 * 2**29), ("1024", 1024),
     ("10 gb", 10 * 10**9), ("0", 0)],
)  # fmt: skip
def test_sizes_as_people_type_them(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["ten", "10XB", "-1", "1.5B", ""])
def test_bad_sizes_name_the_setting(text: str) -> None:
    with pytest.raises(ConfigError, match="--max-bytes"):
        parse_size(text)


def test_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("S3LOGS_ATHENA_MAX_BYTES", raising=False)
    assert max_bytes_setting(None) is None
    monkeypatch.setenv("S3LOGS_ATHENA_MAX_BYTES", "2KiB")
    assert max_bytes_setting(None) == 2048 and max_bytes_setting("1KB") == 1000
    monkeypatch.setenv("S3LOGS_ATHENA_MAX_BYTES", "lots")
    with pytest.raises(ConfigError, match="S3LOGS_ATHENA_MAX_BYTES"):
        max_bytes_setting(None)
    monkeypatch.setenv("S3LOGS_ATHENA_USD_PER_TB", "6.75")
    assert usd_per_tb() == 6.75 and usd_per_tb(7) == 7
    with pytest.raises(ConfigError, match="--usd-per-tb"):
        usd_per_tb("free")
    assert format_size(1536) == "1.5 kB" and format_size(12) == "12 B"


def test_check_limit() -> None:
    estimate = Estimate(
        partitions=4, objects=9, bytes=2000, usd=0.1, usd_per_tb=5.0, scans=(),
        first_day=date(2024, 5, 1), last_day=date(2024, 5, 2), buckets=("a", "b"), query="q",
    )  # fmt: skip
    check_limit(estimate, None)
    check_limit(estimate, 2000)
    with pytest.raises(CostLimitError) as raised:
        check_limit(estimate, 1999)
    assert isinstance(raised.value, InputError) and raised.value.limit == 1999
    assert "2 days of partitions, 2024-05-01 to 2024-05-02" in str(raised.value)
    assert "(it reads 2 buckets)" in str(raised.value)


# -- the notebook API -----------------------------------------------------------------------


def test_the_notebook_api_refuses_over_the_limit(athena: FakeAthena) -> None:  # noqa: F811
    from s3logs_athena import run_query

    _fill()
    params = {"start": "2024-05-01", "end": "2024-05-02"}
    options: dict[str, Any] = {"engine": "athena", "region": REGION, "workgroup": "analysts"}
    with pytest.raises(CostLimitError, match="nothing was sent to Athena") as caught:
        run_query("top-ips", params, max_bytes="10MiB", location=LOCATION, **options)
    assert caught.value.estimate.bytes == 12 * OBJECT
    assert athena.requests == [] and _executions() == 0

    athena.queue([("remoteip", "varchar"), ("requests", "bigint")], [["192.0.2.66", "3"]])
    frame = run_query("top-ips", params, max_bytes="1GiB", location=LOCATION, **options)
    assert frame["remoteip"].tolist() == ["192.0.2.66"]
    assert frame.attrs["estimate"]["bytes"] == 12 * OBJECT
    assert len(athena.requests) == 1


def test_the_notebook_api_reads_the_default_limit_from_the_environment(
    athena: FakeAthena,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from s3logs_athena import run_query

    _fill()
    monkeypatch.setenv("S3LOGS_ATHENA_MAX_BYTES", "5MB")
    with pytest.raises(CostLimitError, match=r"over the limit of 5\.0 MB"):
        run_query(
            "top-ips",
            {"start": "2024-05-01", "end": "2024-05-02"},
            engine="athena",
            region=REGION,
            workgroup="analysts",
            location=LOCATION,
        )
    assert athena.requests == []
