"""The API's OpenAPI document: valid, served with a readable reference from the app's own files, and
true to the API — Schemathesis generates requests from it for every operation, with a participant's
and a staff member's read-write token, and checks each answer against it."""

from __future__ import annotations

import warnings

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import make_token
from tests.helpers import make_issue

pytestmark = pytest.mark.both_databases

EXAMPLES_PER_OPERATION = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


def test_the_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document)
    assert {"/api/v1/issues", "/api/v1/issues/{issue_id}", "/api/v1/issues/{issue_id}/comments"} <= set(document["paths"])
    assert {p["name"] for p in document["paths"]["/api/v1/issues"]["get"]["parameters"]} >= {"q", "service", "status",
                                                                                             "sort", "cursor"}


def test_the_reference_page_uses_only_the_apps_own_files(client):
    page = client.get("/api/v1/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'src="static/reference.js"' in html and "http" not in html.replace('href="openapi.json"', "")
    script = client.get("/api/v1/static/reference.js")
    assert script.status_code == 200 and "openapi" in script.get_data(as_text=True).lower()


@pytest.mark.parametrize("role", ["participant", "staff"])
def test_schemathesis_finds_no_server_error_and_no_answer_the_document_does_not_describe(app, role, participant, staff,
                                                                                         outsider):
    user = participant if role == "participant" else staff
    published = make_issue(outsider, publish_by=staff, summary="Published issue for everyone")
    make_issue(participant, summary="Pending submission of the participant")
    make_issue(outsider, summary="Pending submission of another organisation")
    token = make_token(user, "write", name=f"Schemathesis {role}")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # The in-process (WSGI) transport does not undo gzip as an HTTP client would: ask for plain bodies.
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
    examples = failures = 0
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    for operation in operations:
        for fixed in ({}, {"issue_id": published.id}) if "{issue_id}" in operation.path else ({},):
            seen = []

            @given(case=operation.as_strategy(path_parameters=fixed or None))
            @hypothesis.settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                                 suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.generate])
            def run(case):
                seen.append(case)  # noqa: B023  (run is called at once, in this iteration)
                case.call_and_validate(headers=headers, checks=CHECKS)

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    run()
                except BaseException:
                    failures += 1
                    raise
            examples += len(seen)
    print(f"Schemathesis ({role}): {len(operations)} operations, {examples} examples, {failures} failures")
    assert examples >= len(operations) * 2
