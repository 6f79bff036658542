"""Baraza's own schemathesis check, loaded with SCHEMATHESIS_HOOKS=baraza_checks by
tests/api_schemathesis.rs: a role never receives data it must not see.

BARAZA_HIDDEN lists values (response ids, household ids) that the role running now must never
receive, in any response: a body, an error message, or a file inside an exported zip.
"""

import io
import os
import zipfile

import schemathesis
from hypothesis import strategies as st

HIDDEN = [v for v in os.environ.get("BARAZA_HIDDEN", "").split(",") if v]
ROLE = os.environ.get("BARAZA_ROLE", "")


def texts(response):
    """The response body as text; a zip's members each as text."""
    body = response.content or b""
    if body.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return [z.read(name).decode("utf-8", "replace") for name in z.namelist()]
    return [body.decode("utf-8", "replace")]


@schemathesis.check
def role_receives_nothing_hidden_from_it(ctx, response, case):
    for text in texts(response):
        for value in HIDDEN:
            if value in text:
                raise AssertionError(
                    f"the {ROLE} received {value!r} from {case.method} {case.formatted_path}"
                )


# A file's next bytes (`PATCH /attachments/{sha256}`, tus's content type): any bytes.
schemathesis.openapi.media_type("application/offset+octet-stream", st.binary(max_size=64))
