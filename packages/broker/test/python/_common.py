"""Shared bits for the Python client scenarios: argument parsing, JSON output, unique names."""
import json
import os
import sys
import uuid


def broker_url():
    return sys.argv[1]


def unique(prefix):
    return "test-py-%s-%d-%s" % (prefix, os.getpid(), uuid.uuid4().hex[:6])


def emit(**fields):
    """One JSON object per line on stdout; the Node test parses these."""
    sys.stdout.write(json.dumps(fields, sort_keys=True) + "\n")
    sys.stdout.flush()
