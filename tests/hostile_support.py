"""Log lines carrying what an attacker can put in a User-Agent, a Referer or a key.

Anyone can send a request to a logged bucket, so these reach the logs verbatim. Tests use
them to check that every output (terminal, CSV, JSON) shows them as text.
"""

from __future__ import annotations

from pathlib import Path

#: Rich markup that must print literally (``[/]`` made ``query run`` raise MarkupError).
MARKUP_CLOSE = "[/]"
HYPERLINK = "[link=https://evil.example/]click me[/link]"
#: An SGR colour, an OSC window title and a BEL: must never reach a terminal.
ESCAPES = "\x1b[31mred\x1b]0;owned\x07"
FORMULAS = (
    '=HYPERLINK("https://evil.example/","x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
)
#: Values a CSV reader could misread.
CSV_BREAKERS = ("lone\rcarriage return", 'a "quoted" word', "comma, inside", '"', ",")
#: Values that look dangerous but are not formulas (kept as they are).
NOT_FORMULAS = ("-12", "+1.5", "1e5", "-", "-1.5E-3")

USER_AGENTS = (MARKUP_CLOSE, HYPERLINK, ESCAPES, *FORMULAS, *CSV_BREAKERS)

OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"


def log_line(
    user_agent: str = "aws-cli/2.15",
    *,
    key: str = "reports/q1.csv",
    bucket: str = "app-assets",
    time: str = "01/Mar/2024:10:00:00 +0000",
    remote_ip: str = "192.0.2.3",
    requester: str = "arn:aws:iam::111122223333:user/alice",
) -> str:
    """One valid S3 server access log line (a GET) with these values."""
    return (
        f"{OWNER} {bucket} [{time}] {remote_ip} {requester} 3E57427F3EXAMPLE "
        f'REST.GET.OBJECT {key} "GET /{key} HTTP/1.1" 200 - 113 113 7 6 "-" '
        f'"{user_agent}" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/'
        f"XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader {bucket}.s3.us-east-1."
        "amazonaws.com TLSv1.2 - -"
    )


def hostile_lines() -> list[str]:
    """One line per hostile User-Agent (and a few hostile keys), all on 2024-03-01."""
    lines = [
        log_line(ua, time=f"01/Mar/2024:10:{n:02d}:00 +0000") for n, ua in enumerate(USER_AGENTS)
    ]
    lines += [
        log_line(key=f"k/{value}".replace(" ", "%20"), time="01/Mar/2024:11:00:00 +0000")
        for value in ("=cmd", "[/]", "\x1b[2J")
    ]
    lines += [log_line(value, time="01/Mar/2024:12:00:00 +0000") for value in NOT_FORMULAS]
    return lines


def write_partitioned(root: Path, lines: list[str], *, bucket: str = "app-assets") -> Path:
    """``lines`` as one log object under ``root``'s PartitionedLogs/ layout (2024-03-01)."""
    folder = root / "PartitionedLogs" / "Year=2024" / "Month=03" / "Day=01" / bucket
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "2024-03-01-10-00-00-0123456789ABCDEF"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return root
