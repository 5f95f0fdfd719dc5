# SPDX-License-Identifier: Apache-2.0
"""test_tls.py - `serve --tls-cert FILE --tls-key FILE` serves HTTPS: a
self-signed certificate made with certtool (gnutls-bin) or openssl, an
ingest and a report read over TLS.  Skips (77) with neither tool."""
import os
import shutil
import subprocess
import sys

import harness
from harness import check


def make_cert(tmp):
    key, cert = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
    if shutil.which("openssl"):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                       check=True, capture_output=True, timeout=60)
    elif shutil.which("certtool"):
        tmpl = os.path.join(tmp, "cert.cfg")
        with open(tmpl, "w") as f:
            f.write('cn = "127.0.0.1"\nexpiration_days = 2\ntls_www_server\n')
        subprocess.run(["certtool", "--generate-privkey", "--outfile", key],
                       check=True, capture_output=True, timeout=60)
        subprocess.run(["certtool", "--generate-self-signed", "--load-privkey", key,
                        "--template", tmpl, "--outfile", cert],
                       check=True, capture_output=True, timeout=60)
    else:
        print("no openssl or certtool: skipped")
        sys.exit(77)
    return cert, key


def test(tmp):
    cert, key_file = make_cert(tmp)
    db = os.path.join(tmp, "c.db")
    key = harness.key_create(db, "secure")
    with harness.Collector(db, ["--tls-cert", cert, "--tls-key", key_file], scheme="https") as srv:
        check("listening on https://" in srv.logtext(), "https URL announced")
        status, body = srv.ingest({"functions": [{"name": "tls.fn", "calls": 7}]}, key)
        check(status == 200, "ingest over TLS: %d %s" % (status, body))
        check(srv.ingest({"functions": []}, "cnsm_wrong")[0] == 401, "401 over TLS")
        report = srv.get_json("/api/report?project=secure")
        check(report["functions"][0]["calls"] == 7, "report over TLS")
    p = subprocess.run([harness.BIN, "serve", "--listen", "127.0.0.1:0", "--db", db,
                        "--tls-cert", cert], capture_output=True, text=True, timeout=30)
    check(p.returncode == 2 and "go together" in p.stderr, "--tls-cert without --tls-key")


if __name__ == "__main__":
    harness.main(test)
