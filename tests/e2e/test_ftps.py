"""End-to-end FTPS tests: the real ferroftp binary with TLS, driven by curl, lftp and ftplib.

A certificate for localhost / 127.0.0.1 is made once per run with the `openssl` CLI and given
to every client as its only CA, so certificate and host name checks are real. `openssl`,
`curl` and `lftp` are required: a missing tool is a failure, never a skip.

Servers, binary lookup and helpers come from test_clients.py (see its docstring).
"""

import ftplib
import functools
import hashlib
import io
import os
import random
import re
import shutil
import socket
import ssl
import sys
import tempfile
import time
import unittest
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from test_clients import (  # noqa: E402  (after the sys.path set-up above)
    assert_same_tree,
    run_lftp,
    FTP_TIMEOUT,
    MIRROR_TIMEOUT,
    PASSWORD,
    FtpServer,
    make_tree,
    require_tool,
    run_cmd,
    sha256_bytes,
    sha256_file,
    tree_snapshot,
)

# The certificate every test uses: {"dir", "cert", "key"}; made in setUpModule.
TLS = {}


def setUpModule():
    require_tool("openssl")
    d = Path(tempfile.mkdtemp(prefix="ferroftp-e2e-tls-"))
    TLS["dir"] = d
    TLS["cert"] = d / "cert.pem"
    TLS["key"] = d / "key.pem"
    run_cmd([
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
        "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-days", "2",
        "-keyout", str(TLS["key"]), "-out", str(TLS["cert"]),
    ], timeout=60)
    for name in ("cert", "key"):
        if not TLS[name].is_file() or TLS[name].stat().st_size == 0:
            raise AssertionError(f"openssl did not write {TLS[name]}")


def tearDownModule():
    if "dir" in TLS and not os.environ.get("FERROFTP_E2E_KEEP"):
        shutil.rmtree(TLS["dir"], ignore_errors=True)


def client_context(cafile=None, max_version=None):
    """A verifying client context that trusts only our certificate."""
    ctx = ssl.create_default_context(cafile=str(cafile or TLS["cert"]))
    if max_version is not None:
        ctx.maximum_version = max_version
    return ctx


class ReusingFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS whose PROT P data connections resume the control connection's session.

    `reused` records, per data connection, the command and whether OpenSSL resumed.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reused = []

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host,
                                            session=self.sock.session)
            self.reused.append((cmd, conn.session_reused))
        return conn, size


class ImplicitFTP_TLS(ReusingFTP_TLS):
    """Implicit FTPS: TLS from the first byte; login() then sends no AUTH."""

    def connect(self, host="", port=0, timeout=-999, source_address=None):
        if host:
            self.host = host
        if port:
            self.port = port
        if timeout != -999:
            self.timeout = timeout
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.af = sock.family
        self.sock = self.context.wrap_socket(sock, server_hostname=self.host)
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome


def _close_quietly(ftp):
    try:
        ftp.quit()
    except (OSError, EOFError, ftplib.Error):
        ftp.close()


def openssl_fingerprint(cert):
    """The SHA-256 fingerprint of a PEM certificate, as `AA:BB:...`."""
    out = run_cmd(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", str(cert)],
                  timeout=30).stdout.decode()
    m = re.search(r"=\s*([0-9A-Fa-f:]+)\s*$", out.strip())
    if not m:
        raise AssertionError(f"cannot read openssl's fingerprint output: {out!r}")
    return m.group(1).upper()


@functools.lru_cache(maxsize=None)
def curl_version():
    out = run_cmd(["curl", "--version"], timeout=30).stdout.decode("utf-8", "replace")
    m = re.match(r"curl (\d+)\.(\d+)\.(\d+)", out)
    if not m:
        raise AssertionError(f"cannot read the curl version from {out[:200]!r}")
    return tuple(int(x) for x in m.groups())


def curl_active_ftps_is_broken():
    """curl 7.87.0 to 7.88.x never start TLS on an active-mode data connection (curl issue
    #10666, fixed in 8.0.0 by PR #10669): under PROT P they send the data in the clear."""
    return (7, 87, 0) <= curl_version() < (8, 0, 0)


def colon_hex(digest):
    return ":".join(f"{b:02X}" for b in digest)


class TlsFtpServer(FtpServer):
    """FtpServer that also reports its implicit FTPS port and certificate fingerprint."""

    def __init__(self, workdir, users, extra_args=(), implicit=False):
        super().__init__(workdir, users, extra_args)
        self.implicit = implicit
        self.implicit_port = None
        self.fingerprint = None

    def start(self):
        if self.implicit:
            self.extra_args += ["--implicit-tls-listen", "127.0.0.1:0"]
        super().start()
        deadline = time.monotonic() + 20
        while True:
            text = self.stdout_path.read_text("utf-8", "replace")
            fp = re.search(r"^TLS certificate SHA-256 fingerprint: ([0-9A-Fa-f:]+)\s*$", text,
                           re.M)
            imp = re.search(r"^listening on ftps://127\.0\.0\.1:(\d+)\s*$", text, re.M)
            if fp and (imp or not self.implicit):
                self.fingerprint = fp.group(1).upper()
                if imp:
                    self.implicit_port = int(imp.group(1))
                return
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(
                    "server did not print its TLS fingerprint"
                    + (" and ftps:// address" if self.implicit else "")
                    + f" (exit code {self.proc.poll()}).\nstdout: {text}\n"
                    f"log:\n{self.log_tail()}")
            time.sleep(0.05)


class FtpsTestCase(unittest.TestCase):
    """One TLS server per class (certificate from setUpModule); `cls.home` is alice's home."""

    session_reuse = "required"
    tls_required = None
    implicit = False
    self_signed = False

    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix=f"ferroftp-e2e-{cls.__name__}-"))
        if not os.environ.get("FERROFTP_E2E_KEEP"):
            cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.home = cls.tmp / "home-alice"
        cls.client_dir = cls.tmp / "client"
        cls.client_dir.mkdir()
        if cls.self_signed:
            args = ["--tls-self-signed"]
        else:
            args = ["--tls-cert", str(TLS["cert"]), "--tls-key", str(TLS["key"])]
        args += ["--tls-session-reuse", cls.session_reuse]
        if cls.tls_required:
            args += ["--tls-required", cls.tls_required]
        cls.server = TlsFtpServer(cls.tmp, [("alice", PASSWORD, cls.home, False)], args,
                                  implicit=cls.implicit)
        cls.addClassCleanup(cls.server.stop)
        cls.server.start()
        cls.port = cls.server.port
        cls.implicit_port = cls.server.implicit_port

    def ftps(self, cls=ReusingFTP_TLS, login=True, prot_p=True, context=None):
        """An explicit FTPS session (AUTH TLS, login, PBSZ 0, PROT P)."""
        ftp = cls(context=context or client_context(), timeout=FTP_TIMEOUT, encoding="utf-8")
        self.addCleanup(_close_quietly, ftp)
        ftp.connect("127.0.0.1", self.port)
        if login:
            ftp.login("alice", PASSWORD)
            if prot_p:
                ftp.prot_p()
        return ftp

    def plain(self):
        ftp = ftplib.FTP(timeout=FTP_TIMEOUT, encoding="utf-8")
        self.addCleanup(_close_quietly, ftp)
        ftp.connect("127.0.0.1", self.port)
        return ftp

    def fresh_dir(self, name):
        d = self.home / name
        d.mkdir()
        return d

    def local(self, name, data=None):
        path = self.client_dir / f"{self._testMethodName}-{name}"
        if data is not None:
            path.write_bytes(data)
        return path

    def assert_reply(self, exc_or_text, code, *fragments):
        text = str(exc_or_text)
        self.assertTrue(text.startswith(str(code)), f"expected {code}, got {text!r}")
        for f in fragments:
            self.assertIn(f, text)


# --------------------------------------------------------------------------------------- curl


class CurlFtpsTests(FtpsTestCase):
    """curl with --ssl-reqd (explicit) and ftps:// (implicit), session reuse required."""

    implicit = True

    @classmethod
    def setUpClass(cls):
        require_tool("curl")
        super().setUpClass()
        cls.base = f"ftp://alice:{PASSWORD}@127.0.0.1:{cls.port}"
        cls.implicit_base = f"ftps://alice:{PASSWORD}@127.0.0.1:{cls.implicit_port}"

    def curl(self, *args, check=True, cacert=True):
        tls = ["--cacert", str(TLS["cert"])] if cacert else []
        # -q: ignore ~/.curlrc. --max-time bounds each run.
        return run_cmd(["curl", "-q", "-sS", "--max-time", "60", *tls, *args],
                       check=check, server=self.server)

    def roundtrip(self, base, name, *mode_args, seed=1, size=700_000):
        """Upload, download (sha256) and list `name` in a fresh directory; returns curl -v
        stderr of all three runs."""
        data = random.Random(seed).randbytes(size)
        d = self.fresh_dir(name)
        src = self.local("src.bin", data)
        err = []
        p = self.curl("-v", *mode_args, "-T", str(src), f"{base}/{name}/up.bin")
        err.append(p.stderr.decode("utf-8", "replace"))
        self.assertEqual(sha256_file(d / "up.bin"), sha256_bytes(data))
        dst = self.local("dst.bin")
        p = self.curl("-v", *mode_args, "-o", str(dst), f"{base}/{name}/up.bin")
        err.append(p.stderr.decode("utf-8", "replace"))
        self.assertEqual(sha256_file(dst), sha256_bytes(data))
        (d / "sub").mkdir()
        (d / "two words.txt").write_bytes(b"22")
        p = self.curl("-v", *mode_args, f"{base}/{name}/")
        err.append(p.stderr.decode("utf-8", "replace"))
        lines = p.stdout.decode("utf-8", "replace").splitlines()
        self.assertEqual(len(lines), 3, lines)
        self.assertTrue(any(l.startswith("d") and l.endswith(" sub") for l in lines), lines)
        self.assertTrue(any(l.startswith("-") and l.endswith(" up.bin")
                            and f" {size} " in l for l in lines), lines)
        self.assertTrue(any(l.endswith(" two words.txt") for l in lines), lines)
        p = self.curl(*mode_args, "--list-only", f"{base}/{name}/")
        self.assertEqual(sorted(p.stdout.decode().splitlines()),
                         ["sub", "two words.txt", "up.bin"])
        return "\n".join(err)

    def assert_explicit_tls(self, verbose):
        # curl 7.x tries AUTH SSL first, then AUTH TLS; the server takes either.
        self.assertRegex(verbose, r"> AUTH (SSL|TLS)\r?\n< 234 ")
        self.assertIn("> PBSZ 0", verbose)
        self.assertIn("> PROT P", verbose)
        self.assertNotIn("> USER alice\r\n< 530", verbose)

    def test_explicit_passive_default(self):
        err = self.roundtrip(self.base, "exp-pasv", "--ssl-reqd", "--ftp-pasv", seed=1)
        self.assert_explicit_tls(err)
        self.assertIn("> EPSV", err)
        self.assertNotRegex(err, r"> (PORT|EPRT) ")

    def test_explicit_pasv_without_epsv(self):
        err = self.roundtrip(self.base, "exp-pasv4", "--ssl-reqd", "--disable-epsv", seed=2)
        self.assert_explicit_tls(err)
        self.assertIn("> PASV", err)
        self.assertRegex(err, r"< 227 .*\(127,0,0,1,\d+,\d+\)")
        self.assertNotIn("> EPSV", err)

    def active_roundtrip(self, base, name, *mode_args, seed, size=700_000):
        """roundtrip() in active mode; with a curl that sends active-mode data in the clear
        (see curl_active_ftps_is_broken), checks instead that the server refuses it."""
        if not curl_active_ftps_is_broken():
            return self.roundtrip(base, name, *mode_args, seed=seed, size=size)
        d = self.fresh_dir(name)
        src = self.local("src.bin", random.Random(seed).randbytes(size))
        refusals = self.server_tls_refusals()
        p = self.curl("-v", *mode_args, "-T", str(src), f"{base}/{name}/up.bin", check=False)
        err = p.stderr.decode("utf-8", "replace")
        self.assertNotEqual(p.returncode, 0, err[-2000:])
        # curl either reads the 522 or, when the refusal resets its send, quits first (exit
        # 55, and the 522 is never sent); the server log shows the refused handshake.
        deadline = time.monotonic() + 10
        while self.server_tls_refusals() == refusals and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.server_tls_refusals(), refusals + 1, self.server.log_tail())
        # The refused upload's temporary file is removed right after the refusal is logged.
        deadline = time.monotonic() + 5
        while os.listdir(d) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(os.listdir(d), [])
        sys.stderr.write(f"(curl {'.'.join(map(str, curl_version()))} sends active-mode "
                         "FTPS data in the clear: checked the server refuses it) ")
        sys.stderr.flush()
        return err

    def server_tls_refusals(self):
        log = self.server.log_path.read_text("utf-8", "replace")
        return log.count("data connection TLS handshake failed")

    def test_explicit_active(self):
        err = self.active_roundtrip(self.base, "exp-active", "--ssl-reqd", "-P", "127.0.0.1",
                                    seed=3)
        self.assert_explicit_tls(err)
        self.assertRegex(err, r"> (EPRT|PORT) ")
        self.assertNotRegex(err, r"> (EPSV|PASV)\r?\n")

    def test_explicit_active_port_command(self):
        err = self.active_roundtrip(self.base, "exp-active4", "--ssl-reqd", "-P", "127.0.0.1",
                                    "--disable-eprt", seed=4, size=100_000)
        self.assertIn("> PORT 127,0,0,1,", err)

    def test_implicit(self):
        err = self.roundtrip(self.implicit_base, "imp-pasv", seed=5)
        self.assertNotIn("> AUTH", err)
        self.assertIn("> PROT P", err)

    def test_implicit_active(self):
        err = self.active_roundtrip(self.implicit_base, "imp-active", "-P", "127.0.0.1",
                                    seed=6, size=200_000)
        self.assertNotIn("> AUTH", err)
        self.assertRegex(err, r"> (EPRT|PORT) ")

    def test_several_transfers_on_one_connection(self):
        # One curl run, one control connection, several PROT P data connections: each must
        # resume (curl keeps the newest session ticket it got).
        d = self.fresh_dir("multi")
        blobs = [random.Random(100 + i).randbytes(50_000 + i) for i in range(4)]
        args = []
        for i, blob in enumerate(blobs):
            (d / f"m{i}.bin").write_bytes(blob)
            args += ["-o", str(self.local(f"m{i}.bin")), f"{self.base}/multi/m{i}.bin"]
        p = self.curl("-v", "--ssl-reqd", *args)
        err = p.stderr.decode("utf-8", "replace")
        self.assertEqual(err.count("> AUTH "), 1, "curl made more than one connection")
        self.assertEqual(err.count("> RETR "), len(blobs))
        for i, blob in enumerate(blobs):
            self.assertEqual(sha256_file(self.local(f"m{i}.bin")), sha256_bytes(blob), i)

    def test_repeated_uploads(self):
        # Twenty separate uploads (each its own control and data connection). An upload's
        # data connection must not end in a reset: curl never reads from it, so anything
        # the server sends there after the handshake (TLS 1.3 session tickets) is left
        # unread, and curl's close then resets the connection and discards the data.
        data = random.Random(8).randbytes(700_000)
        src = self.local("src.bin", data)
        d = self.fresh_dir("repeat")
        failures = []
        for i in range(20):
            p = self.curl("-v", "--ssl-reqd", "-T", str(src), f"{self.base}/repeat/r{i}.bin",
                          check=False)
            if p.returncode != 0:
                err = p.stderr.decode("utf-8", "replace")
                replies = re.findall(r"^< (\d{3} .*?)\r?$", err, re.M)
                failures.append(f"#{i}: exit {p.returncode}, last replies {replies[-2:]}")
            elif sha256_file(d / f"r{i}.bin") != sha256_bytes(data):
                failures.append(f"#{i}: stored file differs")
        if failures:
            self.fail(f"{len(failures)} of 20 uploads failed:\n" + "\n".join(failures))

    def test_tls12(self):
        data = random.Random(7).randbytes(120_000)
        (self.fresh_dir("tls12") / "f.bin").write_bytes(data)
        dst = self.local("f.bin")
        p = self.curl("-v", "--ssl-reqd", "--tlsv1.2", "--tls-max", "1.2", "-o", str(dst),
                      f"{self.base}/tls12/f.bin")
        self.assertIn("TLSv1.2", p.stderr.decode("utf-8", "replace"))
        self.assertEqual(sha256_file(dst), sha256_bytes(data))

    def test_certificate_is_verified(self):
        # Without our CA the handshake fails verification (60: CURLE_PEER_FAILED_VERIFICATION),
        # so the passing tests above really checked the certificate.
        p = self.curl("--ssl-reqd", f"{self.base}/", cacert=False, check=False)
        self.assertEqual(p.returncode, 60, p.stderr)
        p = self.curl(f"{self.implicit_base}/", cacert=False, check=False)
        self.assertEqual(p.returncode, 60, p.stderr)

    def test_fingerprint_printed_matches_certificate(self):
        self.assertEqual(self.server.fingerprint, openssl_fingerprint(TLS["cert"]))


# --------------------------------------------------------------------------------------- lftp


class LftpFtpsBase(FtpsTestCase):
    tls_max = None  # e.g. "1.2": lftp (GnuTLS) is held to TLS 1.2

    @classmethod
    def setUpClass(cls):
        require_tool("lftp")
        super().setUpClass()
        cls.lftp_home = cls.tmp / "lftp-home"
        cls.lftp_home.mkdir()

    def lftp(self, commands, passive=True, timeout=MIRROR_TIMEOUT):
        settings = [
            "set ftp:ssl-allow yes",
            "set ftp:ssl-force true",
            "set ftp:ssl-protect-data true",
            "set ftp:ssl-protect-list true",
            f"set ssl:ca-file {TLS['cert']}",
            "set ssl:check-hostname yes",
            "set ssl:verify-certificate yes",
        ]
        if self.tls_max == "1.2":
            settings.append('set ssl:priority "NORMAL:-VERS-TLS1.3"')
        return run_lftp(self, settings, commands, passive, timeout)

    def assert_same_tree(self, expected, actual_root, what):
        assert_same_tree(self, expected, actual_root, what)

    def mirror_both_ways(self, name, passive=True, count=100, seed=4217):
        src = self.client_dir / f"{name}-src"
        src.mkdir()
        snapshot = make_tree(src, count, seed=seed, max_size=64 * 1024)
        self.assertEqual(len(snapshot[0]), count)
        self.lftp([f'mirror -R --parallel=2 "{src}" /{name}'], passive=passive)
        self.assert_same_tree(snapshot, self.home / name, "mirror -R (upload)")
        down = self.client_dir / f"{name}-down"
        self.lftp([f'mirror --parallel=2 /{name} "{down}"'], passive=passive)
        self.assert_same_tree(snapshot, down, "mirror (download)")
        # The control connection really was TLS: the server saw AUTH TLS and PROT P.
        log = self.server.log_path.read_text("utf-8", "replace")
        self.assertIn("command=AUTH TLS", log)
        self.assertIn("command=PROT P", log)


class LftpFtpsReuseRequiredTests(LftpFtpsBase):
    """lftp (GnuTLS) mirrors ~100 files up and down, session reuse required."""

    def test_mirror_up_and_down(self):
        self.mirror_both_ways("mirrored")

    def test_mirror_active_mode(self):
        self.mirror_both_ways("mirrored-active", passive=False, count=30, seed=991)
        self.assertRegex(self.server.log_path.read_text("utf-8", "replace"),
                         r"command=(PORT|EPRT) ", "lftp did not use active mode")

    def test_get_put_ls(self):
        d = self.fresh_dir("basic")
        (d / "get me.txt").write_bytes(b"lftp get\n")
        data = random.Random(21).randbytes(70_000)
        src = self.local("put.bin", data)
        got = self.local("got.txt")
        proc = self.lftp([
            "cd /basic",
            f'put "{src}" -o uploaded.bin',
            f'get "get me.txt" -o "{got}"',
            "cls -1",
        ])
        self.assertEqual(sha256_file(d / "uploaded.bin"), sha256_bytes(data))
        self.assertEqual(got.read_bytes(), b"lftp get\n")
        self.assertIn("uploaded.bin", proc.stdout.decode("utf-8", "replace"))


class LftpFtpsReuseRequiredTls12Tests(LftpFtpsBase):
    """The same mirror with lftp held to TLS 1.2 (session IDs instead of TLS 1.3 tickets)."""

    tls_max = "1.2"

    def test_mirror_up_and_down(self):
        self.mirror_both_ways("mirrored12")


class LftpFtpsReuseOptionalTests(LftpFtpsBase):
    """lftp against `--tls-session-reuse optional`, passive and active."""

    session_reuse = "optional"

    def test_mirror_up_and_down(self):
        self.mirror_both_ways("mirrored-opt")

    def test_mirror_active_mode(self):
        self.mirror_both_ways("mirrored-opt-active", passive=False, count=30, seed=990)
        self.assertRegex(self.server.log_path.read_text("utf-8", "replace"),
                         r"command=(PORT|EPRT) ", "lftp did not use active mode")


# ------------------------------------------------------------------------------------- ftplib


class FtplibTlsReuseRequiredTests(FtpsTestCase):
    """Python's FTP_TLS against the default `--tls-session-reuse required`."""

    implicit = True

    def transfers(self, ftp, dirname, seed):
        """RETR (sha256), LIST, MLSD, STOR and RETR of the upload in a fresh directory, each
        checked at once: five data connections on one control connection.

        A failure names the transfer that failed and whether each data connection resumed."""
        d = self.fresh_dir(dirname)
        rng = random.Random(seed)
        there, data = rng.randbytes(250_000), rng.randbytes(300_000)
        (d / "there.bin").write_bytes(there)
        (d / "sub").mkdir()
        steps = []

        def step(what, fn):
            try:
                result = fn()
            except (ftplib.Error, OSError, EOFError) as e:
                self.fail(f"{what} failed after {steps} with {type(e).__name__}: {e}; "
                          f"data connections (command, resumed): "
                          f"{getattr(ftp, 'reused', None)}")
            steps.append(what)
            return result

        ftp.cwd(f"/{dirname}")
        out = io.BytesIO()
        self.assert_reply(step("RETR", lambda: ftp.retrbinary("RETR there.bin", out.write)), 226)
        self.assertEqual(sha256_bytes(out.getvalue()), sha256_bytes(there))
        lines = []
        self.assert_reply(step("LIST", lambda: ftp.retrlines("LIST", lines.append)), 226)
        self.assertEqual(len(lines), 2, lines)
        self.assertTrue(any(l.startswith("-") and l.endswith(" there.bin") for l in lines),
                        lines)
        self.assertTrue(any(l.startswith("d") and l.endswith(" sub") for l in lines), lines)
        entries = step("MLSD", lambda: dict(ftp.mlsd()))
        self.assertEqual(entries["there.bin"]["size"], str(len(there)))
        self.assertEqual(entries["sub"]["type"], "dir")
        resp = step("STOR", lambda: ftp.storbinary("STOR up.bin", io.BytesIO(data)))
        self.assert_reply(resp, 226)
        self.assertEqual(sha256_file(d / "up.bin"), sha256_bytes(data))
        out = io.BytesIO()
        self.assert_reply(step("RETR up", lambda: ftp.retrbinary("RETR up.bin", out.write)),
                          226)
        self.assertEqual(sha256_bytes(out.getvalue()), sha256_bytes(data))
        self.assertTrue(ftp.voidcmd("NOOP").startswith("200"))
        self.assertEqual([r for _, r in ftp.reused], [True] * 5, ftp.reused)

    def test_reusing_subclass_transfers(self):
        ftp = self.ftps()
        self.assertIsNotNone(ftp.sock.session)
        self.transfers(ftp, "reuse", seed=31)

    def test_reusing_subclass_transfers_active(self):
        ftp = self.ftps()
        ftp.set_pasv(False)
        self.transfers(ftp, "reuse-active", seed=35)

    def test_reusing_subclass_transfers_tls12(self):
        ftp = self.ftps(context=client_context(max_version=ssl.TLSVersion.TLSv1_2))
        self.assertEqual(ftp.sock.version(), "TLSv1.2")
        self.transfers(ftp, "reuse12", seed=32)

    def test_reusing_subclass_first_transfer(self):
        # One PROT P transfer per control connection, TLS 1.3.
        (self.fresh_dir("first") / "f.bin").write_bytes(b"first" * 1000)
        ftp = self.ftps()
        self.assertEqual(ftp.sock.version(), "TLSv1.3")
        # TLS 1.3 tickets come after the handshake; reading the login replies took them in.
        self.assertTrue(ftp.sock.session.has_ticket)
        out = io.BytesIO()
        self.assert_reply(ftp.retrbinary("RETR /first/f.bin", out.write), 226)
        self.assertEqual(out.getvalue(), b"first" * 1000)
        self.assertEqual(ftp.reused, [("RETR /first/f.bin", True)])

    def test_implicit_reusing_subclass(self):
        ftp = ImplicitFTP_TLS(context=client_context(), timeout=FTP_TIMEOUT, encoding="utf-8")
        self.addCleanup(_close_quietly, ftp)
        self.assert_reply(ftp.connect("127.0.0.1", self.implicit_port), 220)
        ftp.login("alice", PASSWORD)
        # Already secured: AUTH on an implicit connection is out of sequence.
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.sendcmd("AUTH TLS")
        self.assert_reply(cm.exception, 503)
        ftp.prot_p()
        data = random.Random(33).randbytes(90_000)
        self.assert_reply(ftp.storbinary("STOR implicit.bin", io.BytesIO(data)), 226)
        self.assertEqual(sha256_file(self.home / "implicit.bin"), sha256_bytes(data))

    def test_stock_ftp_tls_gets_522(self):
        (self.fresh_dir("stock") / "s.bin").write_bytes(b"stock" * 1000)
        ftp = self.ftps(cls=ftplib.FTP_TLS)
        ftp.cwd("/stock")
        # RETR: the data connection makes a full handshake, is closed cleanly, and the
        # reply is 522 naming the setting.
        got = io.BytesIO()
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.retrbinary("RETR s.bin", got.write)
        self.assert_reply(cm.exception, 522, "tls-session-reuse")
        self.assertEqual(got.getvalue(), b"")
        self.assert_reply(ftp.voidcmd("NOOP"), 200)
        # LIST likewise.
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.retrlines("LIST", lambda line: None)
        self.assert_reply(cm.exception, 522, "tls-session-reuse")
        self.assert_reply(ftp.voidcmd("NOOP"), 200)
        # STOR: ftplib may notice the closed data connection while still sending (an SSL
        # or socket error); then the 522 is the next reply on the control connection.
        try:
            ftp.storbinary("STOR new.bin", io.BytesIO(random.Random(34).randbytes(1 << 20)))
        except ftplib.error_perm as e:
            reply = str(e)
        except (OSError, EOFError) as e:
            with self.assertRaises(ftplib.error_perm, msg=f"after {e!r}") as cm:
                ftp.getresp()
            reply = str(cm.exception)
        else:
            self.fail("STOR with a full handshake on the data connection succeeded")
        self.assert_reply(reply, 522, "tls-session-reuse")
        self.assertFalse((self.home / "stock" / "new.bin").exists())
        self.assertEqual(sorted(os.listdir(self.home / "stock")), ["s.bin"])
        self.assert_reply(ftp.voidcmd("NOOP"), 200)
        self.assertEqual(ftp.pwd(), "/stock")

    def test_certificate_is_verified(self):
        # A context without our CA refuses the server: the passing tests verified it.
        ftp = ftplib.FTP_TLS(context=ssl.create_default_context(), timeout=FTP_TIMEOUT)
        self.addCleanup(ftp.close)
        ftp.connect("127.0.0.1", self.port)
        with self.assertRaises(ssl.SSLCertVerificationError):
            ftp.auth()


class FtplibTlsReuseOptionalTests(FtpsTestCase):
    """Stock FTP_TLS works against `--tls-session-reuse optional`."""

    session_reuse = "optional"

    def test_stock_ftp_tls_transfers(self):
        d = self.fresh_dir("opt")
        ftp = self.ftps(cls=ftplib.FTP_TLS)
        ftp.cwd("/opt")
        data = random.Random(41).randbytes(400_000)
        self.assert_reply(ftp.storbinary("STOR o.bin", io.BytesIO(data)), 226)
        self.assertEqual(sha256_file(d / "o.bin"), sha256_bytes(data))
        for _ in range(3):
            out = io.BytesIO()
            self.assert_reply(ftp.retrbinary("RETR o.bin", out.write), 226)
            self.assertEqual(sha256_bytes(out.getvalue()), sha256_bytes(data))
        lines = []
        self.assert_reply(ftp.retrlines("LIST", lines.append), 226)
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].endswith(" o.bin"), lines)
        entries = dict(ftp.mlsd())
        self.assertEqual(entries["o.bin"]["size"], str(len(data)))

    def test_reusing_subclass_still_works(self):
        ftp = self.ftps()
        out = io.BytesIO()
        (self.fresh_dir("opt2") / "r.bin").write_bytes(b"r" * 5000)
        self.assert_reply(ftp.retrbinary("RETR /opt2/r.bin", out.write), 226)
        self.assertEqual(out.getvalue(), b"r" * 5000)


class SelfSignedTests(FtpsTestCase):
    """--tls-self-signed: the printed fingerprint is that of the certificate served."""

    self_signed = True
    implicit = True

    def peer_fingerprint(self, implicit):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # checked by fingerprint below
        port = self.implicit_port if implicit else self.port
        ftp = (ImplicitFTP_TLS if implicit else ftplib.FTP_TLS)(context=ctx,
                                                                timeout=FTP_TIMEOUT)
        self.addCleanup(_close_quietly, ftp)
        ftp.connect("127.0.0.1", port)
        if not implicit:
            ftp.auth()
        return colon_hex(hashlib.sha256(ftp.sock.getpeercert(binary_form=True)).digest())

    def test_fingerprint(self):
        self.assertRegex(self.server.fingerprint, r"^([0-9A-F]{2}:){31}[0-9A-F]{2}$")
        self.assertEqual(self.peer_fingerprint(implicit=False), self.server.fingerprint)
        self.assertEqual(self.peer_fingerprint(implicit=True), self.server.fingerprint)


# ------------------------------------------------------------------------------------- policy


class TlsRequiredLoginTests(FtpsTestCase):
    """--tls-required login: USER needs AUTH TLS first; PROT C transfers are allowed."""

    tls_required = "login"

    def test_plain_user_gets_534(self):
        ftp = self.plain()
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.login("alice", PASSWORD)
        self.assert_reply(cm.exception, 534, "AUTH TLS")
        # The session goes on: still not logged in.
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.sendcmd("PWD")
        self.assert_reply(cm.exception, 530)

    def test_tls_login_works(self):
        ftp = self.ftps(cls=ftplib.FTP_TLS, prot_p=False)
        self.assertEqual(ftp.pwd(), "/")
        # Under `login`, PROT C data is still allowed. (PROT needs PBSZ first, RFC 4217 9;
        # ftplib's prot_c() sends no PBSZ.)
        self.assert_reply(ftp.voidcmd("PBSZ 0"), 200)
        ftp.prot_c()
        (self.home / "clear.txt").write_bytes(b"clear data")
        out = io.BytesIO()
        self.assert_reply(ftp.retrbinary("RETR clear.txt", out.write), 226)
        self.assertEqual(out.getvalue(), b"clear data")


class TlsRequiredAllTests(FtpsTestCase):
    """--tls-required all: login needs TLS and transfers need PROT P."""

    tls_required = "all"

    def test_plain_user_gets_534(self):
        ftp = self.plain()
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.login("alice", PASSWORD)
        self.assert_reply(cm.exception, 534)

    def test_prot_c_transfer_gets_521_prot_p_works(self):
        d = self.fresh_dir("all")
        (d / "a.bin").write_bytes(b"all" * 1000)
        ftp = self.ftps(prot_p=False)
        ftp.cwd("/all")
        self.assert_reply(ftp.voidcmd("PBSZ 0"), 200)
        ftp.prot_c()
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.retrbinary("RETR a.bin", lambda b: None)
        self.assert_reply(cm.exception, 521)
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.storbinary("STOR clear.bin", io.BytesIO(b"must not land"))
        self.assert_reply(cm.exception, 521)
        self.assertFalse((d / "clear.bin").exists())
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.retrlines("LIST", lambda line: None)
        self.assert_reply(cm.exception, 521)
        self.assert_reply(ftp.voidcmd("NOOP"), 200)
        ftp.prot_p()
        out = io.BytesIO()
        self.assert_reply(ftp.retrbinary("RETR a.bin", out.write), 226)
        self.assertEqual(out.getvalue(), b"all" * 1000)
        self.assertEqual(ftp.reused, [("RETR a.bin", True)])


# --------------------------------------------------------------------------------- sequencing


class TlsSequencingTests(FtpsTestCase):
    """RFC 2228/4217 ordering over the wire."""

    def cmd_reply(self, ftp, line):
        try:
            return ftp.sendcmd(line)
        except ftplib.Error as e:
            return str(e)

    def test_pbsz_and_prot_before_auth_are_503(self):
        ftp = self.plain()
        self.assert_reply(self.cmd_reply(ftp, "PBSZ 0"), 503, "AUTH TLS")
        self.assert_reply(self.cmd_reply(ftp, "PROT P"), 503, "AUTH TLS")
        ftp.login("alice", PASSWORD)
        self.assert_reply(self.cmd_reply(ftp, "PBSZ 0"), 503, "AUTH TLS")
        self.assert_reply(self.cmd_reply(ftp, "PROT P"), 503, "AUTH TLS")
        # Plain FTP is still served (--tls-required none).
        (self.home / "plain.txt").write_bytes(b"plain")
        out = io.BytesIO()
        self.assert_reply(ftp.retrbinary("RETR plain.txt", out.write), 226)
        self.assertEqual(out.getvalue(), b"plain")

    def test_order_after_auth(self):
        ftp = self.ftps(cls=ftplib.FTP_TLS, login=False)
        self.assert_reply(ftp.auth(), 234)
        self.assertIsInstance(ftp.sock, ssl.SSLSocket)
        self.assert_reply(self.cmd_reply(ftp, "PROT P"), 503, "PBSZ 0")
        self.assert_reply(self.cmd_reply(ftp, "AUTH TLS"), 503)
        self.assert_reply(self.cmd_reply(ftp, "AUTH SSL"), 503)
        self.assert_reply(self.cmd_reply(ftp, "PBSZ 0"), 200)
        self.assert_reply(self.cmd_reply(ftp, "PROT S"), 536)
        self.assert_reply(self.cmd_reply(ftp, "PROT E"), 536)
        self.assert_reply(self.cmd_reply(ftp, "CCC"), 534)
        ftp.login("alice", PASSWORD)
        self.assert_reply(self.cmd_reply(ftp, "CCC"), 534)
        self.assert_reply(self.cmd_reply(ftp, "AUTH TLS"), 503)
        self.assert_reply(self.cmd_reply(ftp, "PROT P"), 200)
        # The control connection is still TLS and working.
        self.assertIsInstance(ftp.sock, ssl.SSLSocket)
        self.assertEqual(ftp.pwd(), "/")

    def test_raw_auth_tls_twice(self):
        # Over a bare socket: AUTH TLS, handshake, then AUTH TLS again inside TLS.
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=FTP_TIMEOUT)
        self.addCleanup(raw.close)
        f = raw.makefile("rb")
        self.assertTrue(f.readline().startswith(b"220"))
        raw.sendall(b"AUTH TLS\r\n")
        self.assertTrue(f.readline().startswith(b"234"))
        tls = client_context().wrap_socket(raw, server_hostname="127.0.0.1")
        self.addCleanup(tls.close)
        tf = tls.makefile("rb")
        tls.sendall(b"AUTH TLS\r\n")
        self.assertTrue(tf.readline().startswith(b"503"))
        tls.sendall(b"PBSZ 0\r\nPROT S\r\nCCC\r\nNOOP\r\n")
        replies = [tf.readline() for _ in range(4)]
        self.assertEqual([r[:4] for r in replies], [b"200 ", b"536 ", b"534 ", b"200 "],
                         replies)


if __name__ == "__main__":
    unittest.main(verbosity=2)
