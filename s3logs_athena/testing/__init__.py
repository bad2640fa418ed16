"""Test doubles and harnesses shared by the tests, the soak run, the benchmarks and
``s3logs-athena demo`` (which injects S3 faults and plays the Lambda service with them).

Not part of the Lambda package (see ``infra/package_lambda.py``); imported only by the tests,
benchmarks and :mod:`s3logs_athena.demo`.
"""
