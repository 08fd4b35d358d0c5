"""Bench setup: creates an organization and its admin, logs in, creates one contact, and prints
shell assignments (CRMD_TOKEN, CRMD_CONTACT) for bench/run to evaluate. CRMD_AUTH=apikey: the
token is the admin's API key, as an integration's is, rather than a login's JWT."""
import json
import os
import sys
import urllib.request

base = sys.argv[1]


def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


su = call("POST", "/api/auth/login", {"email": "bench@crmd.local", "password": "bench-password"})["token"]
call("POST", "/api/organizations", {"name": "Bench Org", "adminDetails": {
    "fullName": "Bench Admin", "email": "admin@bench.crmd.local", "password": "bench-password"}}, su)
token = call("POST", "/api/auth/login", {"email": "admin@bench.crmd.local", "password": "bench-password"})["token"]
contact = call("POST", "/api/contact", {"firstName": "Read", "lastName": "Me",
                                        "phoneNumber": "+1 646 555 0100"}, token)["data"]["contact"]
if os.environ.get("CRMD_AUTH") == "apikey":
    token = call("POST", "/api/user/api-key/regenerate", None, token)["data"]["apiKey"]
print(f"CRMD_TOKEN={token}\nCRMD_CONTACT={contact['_id']}")
