"""Test doubles and harnesses shared by the tests, the soak run and the benchmarks.

Not part of the Lambda package (see ``infra/package_lambda.py``) and not imported by
``s3logs_athena`` itself.
"""
