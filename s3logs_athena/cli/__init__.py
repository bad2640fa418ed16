"""The ``s3logs-athena`` command line: thin wrappers that parse options, call the library
and print. Each command lives in its own module and is imported only when run, so that
``s3logs-athena parse`` does not pay for importing DuckDB or pandas."""
