"""Access rules with the real app: token (bearer and login cookie), CSRF on forms, the upload cap."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from munigrid.scenarios.service.app import create_app
from munigrid.scenarios.service.security import CSRF_COOKIE, SESSION_COOKIE

TOKEN = "correct-horse-battery-staple"


@pytest.fixture(scope="module")
def locked(tmp_path_factory):
    """An app that needs the token, with a 1 kB upload cap."""
    app = create_app(tmp_path_factory.mktemp("locked"), token=TOKEN, workers=1, upload_limit_bytes=1024)
    with TestClient(app, follow_redirects=False) as client:
        yield client


def test_api_needs_the_bearer_token(locked):
    for headers in ({}, {"Authorization": "Bearer wrong-token-1234"}, {"Authorization": TOKEN}):
        reply = locked.get("/api/v1/scenarios", headers=headers)
        assert reply.status_code == 401 and reply.json()["detail"][0]["path"] == "authorization"
        assert reply.headers["www-authenticate"] == "Bearer"
    assert locked.get("/api/v1/openapi.json").status_code == 401
    assert locked.get("/api/v1/scenarios", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_pages_need_the_login_form(locked):
    locked.cookies.clear()
    home = locked.get("/")
    assert home.status_code == 303 and home.headers["location"].startswith("/login")
    page = locked.get("/login")
    assert page.status_code == 200 and 'name="token"' in page.text
    csrf = locked.cookies[CSRF_COOKIE]
    wrong = locked.post("/login", data={"token": "nope", "csrf_token": csrf, "next": "/"})
    assert wrong.status_code == 303 and "wrong=true" in wrong.headers["location"]
    assert SESSION_COOKIE not in locked.cookies
    no_csrf = locked.post("/login", data={"token": TOKEN, "next": "/"})
    assert no_csrf.status_code == 403
    right = locked.post("/login", data={"token": TOKEN, "csrf_token": csrf, "next": "//evil.example/"})
    assert right.status_code == 303 and right.headers["location"] == "/"
    assert TOKEN not in locked.cookies[SESSION_COOKIE]
    assert locked.get("/").status_code == 200
    assert locked.get("/api/v1/runs").status_code == 200  # the session cookie also opens the API for the pages
    locked.post("/logout", data={"csrf_token": csrf})
    locked.cookies.delete(SESSION_COOKIE)
    assert locked.get("/").status_code == 303


def test_uploads_over_the_cap_get_413(locked):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    big = b"time,import_kw\n" + b"2026-01-01T00:00:00+07:00,1\n" * 100
    reply = locked.post("/api/v1/uploads", files={"file": ("m.csv", big, "text/csv")}, headers=headers)
    assert reply.status_code == 413 and "MB" in reply.json()["detail"][0]["message"]

    def chunks():  # no Content-Length: the cap is counted as the body arrives
        for _ in range(10):
            yield b"x" * 512

    streamed = locked.post("/api/v1/scenarios/validate", content=chunks(),
                           headers={**headers, "Content-Type": "application/yaml"})
    assert streamed.status_code == 413
    small = locked.post("/api/v1/uploads", files={"file": ("m.csv", big[:200], "text/csv")}, headers=headers)
    assert small.status_code == 201


def test_forms_without_the_csrf_token_are_refused(tmp_path):
    with TestClient(create_app(tmp_path, workers=1)) as client:
        client.get("/new")
        reply = client.post("/new", data={"s:name": "x", "action": "validate"})
        assert reply.status_code == 403 and "reload" in reply.text
        forged = client.post("/new", data={"s:name": "x", "action": "validate", "csrf_token": "guess"})
        assert forged.status_code == 403
        ok = client.post("/new", data={"s:name": "x", "action": "validate",
                                       "csrf_token": client.cookies[CSRF_COOKIE]})
        assert ok.status_code == 422
