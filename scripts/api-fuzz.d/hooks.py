"""schemathesis hooks for scripts/api-fuzz (loaded through SCHEMATHESIS_HOOKS)."""

import re
import uuid

import schemathesis

# What the server takes as an Idempotency-Key (`once::sane_key`).
GOOD_KEY = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def map_headers(ctx, headers):
    # A good key is made fresh for every request. schemathesis would send the same few
    # keys with different bodies, which the server rightly refuses with 422 before the
    # handler runs; bad keys are left as generated, to test that they are refused.
    if headers:
        for name in list(headers):
            if name.lower() == "idempotency-key" and GOOD_KEY.match(str(headers[name])):
                headers[name] = str(uuid.uuid4())
    return headers
