"""End-to-end tests: the real ferroftp binary driven by real FTP clients.

Each test class starts its own server (fresh temporary directory, users file made with
`ferroftp user add`) and drives it with Python's ftplib, curl or lftp. The tools are
required: a missing one is a failure, never a skip (scripts/test installs them).

The binary is taken from $FERROFTP_BIN, else from the cargo target directory
(`cargo metadata`), else from <repo>/target/debug/ferroftp.

Set FERROFTP_E2E_LOGDIR to a directory to keep each server's log there.
"""

import calendar
import ftplib
import hashlib
import io
import json
import os
import posixpath
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Seconds any one client subprocess may run.
CMD_TIMEOUT = 120
# Seconds a big lftp mirror may run.
MIRROR_TIMEOUT = 300
# Socket timeout of ftplib sessions.
FTP_TIMEOUT = 30

PASSWORD = "Secret-pw-4711"
RO_PASSWORD = "Reader-pw-0815"

_BIN_CACHE = []


def ferroftp_bin():
    """Path of the ferroftp binary to test."""
    if _BIN_CACHE:
        return _BIN_CACHE[0]
    path = os.environ.get("FERROFTP_BIN")
    if not path:
        target = None
        try:
            out = subprocess.run(
                ["cargo", "metadata", "--format-version", "1", "--no-deps"],
                cwd=REPO,
                capture_output=True,
                timeout=60,
                check=True,
            ).stdout
            target = json.loads(out)["target_directory"]
        except (OSError, subprocess.SubprocessError, ValueError, KeyError):
            target = os.environ.get("CARGO_TARGET_DIR") or str(REPO / "target")
        path = os.path.join(target, "debug", "ferroftp")
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise AssertionError(
            f"ferroftp binary not found at {path}: run `cargo build -p ferroftp` first"
        )
    _BIN_CACHE.append(path)
    return path


def require_tool(name):
    path = shutil.which(name)
    if path is None:
        raise AssertionError(f"required tool `{name}` is not installed (scripts/test installs it)")
    return path


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def assert_same_tree(test, expected, actual_root, what):
    """Fails `test` unless the tree under actual_root has exactly the files (by sha256) and
    directories of `expected`, a tree_snapshot()."""
    exp_files, exp_dirs = expected
    files, dirs = tree_snapshot(actual_root)
    missing = sorted(set(exp_files) - set(files))
    extra = sorted(set(files) - set(exp_files))
    differ = sorted(p for p in set(exp_files) & set(files) if exp_files[p] != files[p])
    test.assertEqual((missing, extra, differ), ([], [], []),
                     f"{what}: missing, extra and differing files")
    test.assertEqual(sorted(exp_dirs - dirs), [], f"{what}: missing directories")
    test.assertEqual(sorted(dirs - exp_dirs), [], f"{what}: extra directories")


def tree_snapshot(root):
    """({relative file path: sha256}, {relative dir path}) of everything under root."""
    files, dirs = {}, set()
    root = str(root)
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        for d in dirnames:
            dirs.add(os.path.normpath(os.path.join(rel_dir, d)))
        for f in filenames:
            files[os.path.normpath(os.path.join(rel_dir, f))] = sha256_file(
                os.path.join(dirpath, f)
            )
    return files, dirs


def run_cmd(args, *, timeout=CMD_TIMEOUT, env=None, cwd=None, check=True, server=None,
            input=None):
    """Runs a client command; on failure (when check) the assertion says everything."""
    try:
        proc = subprocess.run(
            args,
            capture_output=True,
            timeout=timeout,
            env=env,
            cwd=cwd,
            input=input,
        )
    except subprocess.TimeoutExpired as e:
        raise AssertionError(
            f"command timed out after {timeout}s: {args!r}\n"
            f"stdout: {_tail(e.stdout)}\nstderr: {_tail(e.stderr)}"
            + (f"\nserver log:\n{server.log_tail()}" if server else "")
        ) from None
    if check and proc.returncode != 0:
        raise AssertionError(
            f"command failed with exit code {proc.returncode}: {args!r}\n"
            f"stdout: {_tail(proc.stdout)}\nstderr: {_tail(proc.stderr)}"
            + (f"\nserver log:\n{server.log_tail()}" if server else "")
        )
    return proc


def _tail(data, n=4000):
    if data is None:
        return ""
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    return data[-n:]


class FtpServer:
    """One running `ferroftp serve` with its own users file."""

    def __init__(self, workdir, users, extra_args=()):
        self.workdir = Path(workdir)
        self.users = users  # [(name, password, home, read_only)]
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.users_file = self.workdir / "users.toml"
        self.log_path = self.workdir / "server.log"
        self.stdout_path = self.workdir / "server.out"

    def start(self):
        binary = ferroftp_bin()
        for name, password, home, read_only in self.users:
            args = [binary, "user", "add", name, "--home", str(home), "--users",
                    str(self.users_file), "--password-stdin"]
            if read_only:
                args.append("--read-only")
            run_cmd(args, input=(password + "\n").encode(), timeout=60)
            if not Path(home).is_dir():
                raise AssertionError(f"`user add` did not create the home directory {home}")
        args = [binary, "serve", "--users", str(self.users_file), "--listen", "127.0.0.1:0",
                "--passive-ports", "0-0", "--login-failure-delay-ms", "50", "--log", "debug"]
        if "--idle-timeout" not in self.extra_args:
            args += ["--idle-timeout", "120"]
        args += self.extra_args
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=self._err, cwd=self.workdir)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            text = self.stdout_path.read_text("utf-8", "replace")
            m = re.search(r"^listening on ftp://127\.0\.0\.1:(\d+)\s*$", text, re.M)
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(
            f"server did not report its port (exit code {self.proc.poll()}).\n"
            f"stdout: {self.stdout_path.read_text('utf-8', 'replace')}\n"
            f"log:\n{self.log_tail()}"
        )

    def log_tail(self, n=60):
        try:
            lines = self.log_path.read_text("utf-8", "replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])

    def stop(self):
        """Stops the server; reports a crash or panic seen while it ran."""
        if self.proc is None:
            return
        died_early = self.proc.poll()
        hung = False
        if died_early is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                hung = True
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._out.close()
        self._err.close()
        logdir = os.environ.get("FERROFTP_E2E_LOGDIR")
        if logdir:
            os.makedirs(logdir, exist_ok=True)
            shutil.copy(self.log_path, os.path.join(logdir, self.workdir.name + ".log"))
        log = self.log_path.read_text("utf-8", "replace")
        if died_early is not None:
            raise AssertionError(f"server exited during the tests with code {died_early}:\n"
                                 f"{self.log_tail()}")
        if "panicked" in log:
            raise AssertionError(f"server log shows a panic:\n{self.log_tail(200)}")
        if hung:
            raise AssertionError(f"server did not stop within 15s of SIGTERM:\n{self.log_tail()}")
        if self.proc.returncode != 0:
            raise AssertionError(f"server exited with code {self.proc.returncode} on SIGTERM:\n"
                                 f"{self.log_tail()}")


class ServerTestCase(unittest.TestCase):
    """Starts one server for the class; `cls.home` is alice's home, `cls.ro_home` reader's."""

    extra_server_args = ()
    anonymous = False

    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix=f"ferroftp-e2e-{cls.__name__}-"))
        if not os.environ.get("FERROFTP_E2E_KEEP"):
            cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.home = cls.tmp / "home-alice"
        cls.ro_home = cls.tmp / "home-reader"
        cls.client_dir = cls.tmp / "client"
        cls.client_dir.mkdir()
        extra = list(cls.extra_server_args)
        if cls.anonymous:
            cls.anon_root = cls.tmp / "anon"
            cls.anon_root.mkdir()
            extra += ["--anonymous-root", str(cls.anon_root)]
        cls.server = FtpServer(
            cls.tmp,
            [("alice", PASSWORD, cls.home, False), ("reader", RO_PASSWORD, cls.ro_home, True)],
            extra,
        )
        cls.addClassCleanup(cls.server.stop)
        cls.server.start()
        cls.port = cls.server.port

    def connect(self, login=True, user="alice", password=PASSWORD):
        ftp = ftplib.FTP(timeout=FTP_TIMEOUT, encoding="utf-8")
        ftp.connect("127.0.0.1", self.port)
        self.addCleanup(_close_quietly, ftp)
        if login:
            ftp.login(user, password)
        return ftp

    def fresh_dir(self, name):
        """A new directory in alice's home, for one test."""
        d = self.home / name
        d.mkdir()
        return d


def _close_quietly(ftp):
    try:
        ftp.quit()
    except (OSError, EOFError, ftplib.Error):
        ftp.close()


class FtplibTests(ServerTestCase):
    """Python's ftplib against the server."""

    anonymous = True

    def test_login_pwd_cwd_mkd_rmd(self):
        ftp = self.connect(login=False)
        self.assertTrue(ftp.getwelcome().startswith("220"))
        resp = ftp.login("alice", PASSWORD)
        self.assertTrue(resp.startswith("230"), resp)
        self.assertEqual(ftp.pwd(), "/")
        self.assertEqual(ftp.mkd("nav"), "/nav")
        self.assertTrue((self.home / "nav").is_dir())
        self.assertTrue(ftp.cwd("nav").startswith("250"))
        self.assertEqual(ftp.pwd(), "/nav")
        ftp.mkd("inner dir ü")
        self.assertTrue((self.home / "nav" / "inner dir ü").is_dir())
        ftp.cwd("inner dir ü")
        self.assertEqual(ftp.pwd(), "/nav/inner dir ü")
        ftp.cwd("..")
        self.assertEqual(ftp.pwd(), "/nav")
        self.assertTrue(ftp.sendcmd("CDUP").startswith("2"))
        self.assertEqual(ftp.pwd(), "/")
        # Climbing above the root stays at the root.
        ftp.cwd("../../..")
        self.assertEqual(ftp.pwd(), "/")
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.cwd("/does-not-exist")
        self.assertTrue(str(cm.exception).startswith("550"), cm.exception)
        self.assertTrue(ftp.rmd("/nav/inner dir ü").startswith("250"))
        self.assertFalse((self.home / "nav" / "inner dir ü").exists())
        ftp.rmd("nav")
        self.assertFalse((self.home / "nav").exists())
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.rmd("nav")
        self.assertTrue(str(cm.exception).startswith("550"), cm.exception)

    def test_binary_roundtrip_2mb(self):
        data = random.Random(1).randbytes(2 * 1024 * 1024)
        ftp = self.connect()
        resp = ftp.storbinary("STOR big.bin", io.BytesIO(data))
        self.assertTrue(resp.startswith("226"), resp)
        self.assertEqual(sha256_file(self.home / "big.bin"), sha256_bytes(data))
        self.assertEqual(ftp.size("big.bin"), len(data))
        out = io.BytesIO()
        resp = ftp.retrbinary("RETR big.bin", out.write)
        self.assertTrue(resp.startswith("226"), resp)
        self.assertEqual(sha256_bytes(out.getvalue()), sha256_bytes(data))
        # Overwrite with a shorter file: no stale tail remains.
        ftp.storbinary("STOR big.bin", io.BytesIO(b"short"))
        self.assertEqual((self.home / "big.bin").read_bytes(), b"short")

    def test_ascii_mode_converts_line_endings(self):
        d = self.fresh_dir("ascii")
        ftp = self.connect()
        ftp.cwd("/ascii")
        resp = ftp.storlines("STOR crlf.txt", io.BytesIO(b"alpha\r\nbeta\r\n\r\ngamma\r\n"))
        self.assertTrue(resp.startswith("226"), resp)
        self.assertEqual((d / "crlf.txt").read_bytes(), b"alpha\nbeta\n\ngamma\n")

        (d / "lf.txt").write_bytes(b"one\ntwo\n\nthree\n")
        lines = []
        resp = ftp.retrlines("RETR lf.txt", lines.append)
        self.assertTrue(resp.startswith("226"), resp)
        self.assertEqual(lines, ["one", "two", "", "three"])

        # The raw bytes on the wire in TYPE A carry CRLF.
        ftp.voidcmd("TYPE A")
        with ftp.transfercmd("RETR lf.txt") as conn:
            wire = _read_all(conn)
        ftp.voidresp()
        self.assertEqual(wire, b"one\r\ntwo\r\n\r\nthree\r\n")
        # ... and in TYPE I the stored bytes are sent as they are.
        out = io.BytesIO()
        ftp.retrbinary("RETR lf.txt", out.write)
        self.assertEqual(out.getvalue(), b"one\ntwo\n\nthree\n")

    def test_mlsd_facts(self):
        d = self.fresh_dir("mlsd")
        (d / "file.txt").write_bytes(b"x" * 1234)
        (d / "sub").mkdir()
        stamp = calendar.timegm((2021, 3, 4, 5, 6, 7))
        os.utime(d / "file.txt", (stamp, stamp))
        os.utime(d / "sub", (stamp + 60, stamp + 60))
        ftp = self.connect()
        entries = dict(ftp.mlsd("/mlsd"))
        names = {n for n in entries if n not in (".", "..")}
        self.assertEqual(names, {"file.txt", "sub"})
        f, s = entries["file.txt"], entries["sub"]
        for facts in (f, s):
            for fact in ("type", "modify", "perm"):
                self.assertIn(fact, facts)
        self.assertEqual(f["type"], "file")
        self.assertEqual(f["size"], "1234")
        self.assertEqual(f["modify"][:14], "20210304050607")
        self.assertRegex(f["modify"], r"^\d{14}(\.\d+)?$")
        self.assertEqual(s["type"], "dir")
        self.assertEqual(s["modify"][:14], "20210304050707")
        self.assertTrue(set("rwadf") <= set(f["perm"]), f["perm"])
        self.assertTrue(set("elcmdf") <= set(s["perm"]), s["perm"])
        # The `type=cdir`/`pdir` entries, when sent, are typed right.
        for special in (".", ".."):
            if special in entries:
                self.assertIn(entries[special]["type"], ("cdir", "pdir"))
        # MLST on one entry: 250 with the facts on the continuation line.
        resp = ftp.sendcmd("MLST /mlsd/file.txt")
        self.assertTrue(resp.startswith("250"), resp)
        self.assertRegex(resp, r"(?i)type=file;")
        self.assertRegex(resp, r"(?i)size=1234;")
        self.assertIn("/mlsd/file.txt", resp)

    def test_mlsd_read_only_user_perm(self):
        (self.ro_home / "ro.txt").write_bytes(b"read me")
        (self.ro_home / "rodir").mkdir(exist_ok=True)
        ftp = self.connect(user="reader", password=RO_PASSWORD)
        entries = dict(ftp.mlsd("/"))
        self.assertEqual(entries["ro.txt"]["perm"], "r")
        dperm = set(entries["rodir"]["perm"])
        self.assertTrue(set("el") <= dperm, dperm)
        self.assertFalse(dperm & set("cmdfp"), dperm)
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.storbinary("STOR new.txt", io.BytesIO(b"nope"))
        self.assertTrue(str(cm.exception).startswith("5"), cm.exception)
        self.assertFalse((self.ro_home / "new.txt").exists())
        with self.assertRaises(ftplib.error_perm):
            ftp.delete("ro.txt")
        with self.assertRaises(ftplib.error_perm):
            ftp.mkd("made")
        self.assertTrue((self.ro_home / "ro.txt").exists())
        out = io.BytesIO()
        ftp.retrbinary("RETR ro.txt", out.write)
        self.assertEqual(out.getvalue(), b"read me")

    def test_list_and_nlst(self):
        d = self.fresh_dir("listing")
        (d / "a.txt").write_bytes(b"12345")
        (d / "name with spaces.bin").write_bytes(b"")
        (d / "ünïcödé.txt").write_bytes(b"u")
        (d / "subdir").mkdir()
        ftp = self.connect()
        self.assertEqual(basenames(ftp.nlst("/listing")),
                         sorted(["a.txt", "name with spaces.bin", "ünïcödé.txt", "subdir"]))
        ftp.cwd("/listing")
        self.assertEqual(set(ftp.nlst()),
                         {"a.txt", "name with spaces.bin", "ünïcödé.txt", "subdir"})
        lines = []
        ftp.retrlines("LIST", lines.append)
        pattern = re.compile(
            r"^([-dl])[-rwxsStT]{9}\s+\d+\s+\S+\s+\S+\s+(\d+)\s+"
            r"\w{3}\s+\d{1,2}\s+(?:\d{2}:\d{2}|\d{4})\s(.+)$"
        )
        parsed = {}
        for line in lines:
            m = pattern.match(line)
            self.assertIsNotNone(m, f"not an ls -l line: {line!r}")
            parsed[m.group(3)] = (m.group(1), int(m.group(2)))
        self.assertEqual(parsed["a.txt"], ("-", 5))
        self.assertEqual(parsed["name with spaces.bin"], ("-", 0))
        self.assertEqual(parsed["ünïcödé.txt"][0], "-")
        self.assertEqual(parsed["subdir"][0], "d")

    def test_size_mdtm_mfmt(self):
        d = self.fresh_dir("times")
        (d / "t.bin").write_bytes(b"z" * 777)
        stamp = calendar.timegm((2020, 1, 2, 3, 4, 5))
        os.utime(d / "t.bin", (stamp, stamp))
        ftp = self.connect()
        self.assertEqual(ftp.size("/times/t.bin"), 777)
        resp = ftp.sendcmd("MDTM /times/t.bin")
        self.assertRegex(resp, r"^213 20200102030405(\.\d+)?$")
        resp = ftp.sendcmd("MFMT 20190807060504 /times/t.bin")
        self.assertTrue(resp.startswith("213"), resp)
        self.assertIn("20190807060504", resp)
        self.assertEqual(int((d / "t.bin").stat().st_mtime),
                         calendar.timegm((2019, 8, 7, 6, 5, 4)))
        self.assertRegex(ftp.sendcmd("MDTM /times/t.bin"), r"^213 20190807060504")
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.size("/times/missing")
        self.assertTrue(str(cm.exception).startswith("550"), cm.exception)
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.sendcmd("MDTM /times/missing")
        self.assertTrue(str(cm.exception).startswith("550"), cm.exception)

    def test_rename_and_delete(self):
        d = self.fresh_dir("ren")
        (d / "old.txt").write_bytes(b"content")
        ftp = self.connect()
        ftp.cwd("/ren")
        resp = ftp.rename("old.txt", "new name.txt")
        self.assertTrue(resp.startswith("250"), resp)
        self.assertFalse((d / "old.txt").exists())
        self.assertEqual((d / "new name.txt").read_bytes(), b"content")
        # Rename into another directory.
        ftp.mkd("/ren/target")
        ftp.rename("new name.txt", "/ren/target/moved.txt")
        self.assertEqual((d / "target" / "moved.txt").read_bytes(), b"content")
        # RNTO without RNFR is a sequence error.
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.sendcmd("RNTO whatever")
        self.assertTrue(str(cm.exception).startswith("503"), cm.exception)
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.sendcmd("RNFR /ren/nothing-here")
        self.assertTrue(str(cm.exception).startswith("550"), cm.exception)
        resp = ftp.delete("/ren/target/moved.txt")
        self.assertTrue(resp.startswith("250"), resp)
        self.assertFalse((d / "target" / "moved.txt").exists())
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.delete("/ren/target/moved.txt")
        self.assertTrue(str(cm.exception).startswith("550"), cm.exception)

    def test_rest_resume_download(self):
        data = random.Random(2).randbytes(300_000)
        (self.home / "resume.bin").write_bytes(data)
        ftp = self.connect()
        for offset in (0, 1, 65536, 299_999, 300_000):
            out = io.BytesIO()
            resp = ftp.retrbinary("RETR resume.bin", out.write, rest=offset)
            self.assertTrue(resp.startswith("226"), resp)
            self.assertEqual(out.getvalue(), data[offset:], f"offset {offset}")
        resp = ftp.sendcmd("REST 100")
        self.assertTrue(resp.startswith("350"), resp)

    def test_rest_resume_upload(self):
        data = random.Random(3).randbytes(200_000)
        (self.home / "up-resume.bin").write_bytes(data[:50_000])
        ftp = self.connect()
        ftp.storbinary("STOR up-resume.bin", io.BytesIO(data[50_000:]), rest=50_000)
        self.assertEqual(sha256_file(self.home / "up-resume.bin"), sha256_bytes(data))

    def test_append(self):
        (self.home / "log.txt").write_bytes(b"first\n")
        ftp = self.connect()
        resp = ftp.storbinary("APPE log.txt", io.BytesIO(b"second\n"))
        self.assertTrue(resp.startswith("226"), resp)
        ftp.storbinary("APPE log.txt", io.BytesIO(b"third\n"))
        self.assertEqual((self.home / "log.txt").read_bytes(), b"first\nsecond\nthird\n")
        # APPE to a missing file creates it.
        ftp.storbinary("APPE fresh-append.txt", io.BytesIO(b"new"))
        self.assertEqual((self.home / "fresh-append.txt").read_bytes(), b"new")

    def test_stou(self):
        d = self.fresh_dir("stou")
        ftp = self.connect()
        ftp.cwd("/stou")
        ftp.voidcmd("TYPE I")
        host, port = ftp.makepasv()
        data_sock = socket.create_connection((host, port), timeout=FTP_TIMEOUT)
        resp = ftp.sendcmd("STOU")
        self.assertTrue(resp.startswith("150"), resp)
        m = re.search(r"FILE: (.+)$", resp)
        self.assertIsNotNone(m, resp)
        name = m.group(1).strip()
        data_sock.sendall(b"unique data")
        data_sock.close()
        resp = ftp.voidresp()
        self.assertTrue(resp.startswith("226"), resp)
        self.assertEqual((d / name).read_bytes(), b"unique data")
        self.assertEqual(os.listdir(d), [name])

    def test_active_mode(self):
        data = random.Random(4).randbytes(500_000)
        ftp = self.connect()
        ftp.set_pasv(False)
        ftp.mkd("/active")
        ftp.cwd("/active")
        resp = ftp.storbinary("STOR act.bin", io.BytesIO(data))
        self.assertTrue(resp.startswith("226"), resp)
        self.assertEqual(sha256_file(self.home / "active" / "act.bin"), sha256_bytes(data))
        out = io.BytesIO()
        ftp.retrbinary("RETR act.bin", out.write)
        self.assertEqual(sha256_bytes(out.getvalue()), sha256_bytes(data))
        self.assertEqual(ftp.nlst(), ["act.bin"])
        entries = dict(ftp.mlsd())
        self.assertEqual(entries["act.bin"]["size"], str(len(data)))

    def test_epsv_and_pasv_replies(self):
        (self.home / "epsv.txt").write_bytes(b"via epsv")
        ftp = self.connect()
        ftp.voidcmd("TYPE I")
        resp = ftp.sendcmd("EPSV")
        m = re.match(r"^229 .*\(\|\|\|(\d+)\|\)", resp)
        self.assertIsNotNone(m, resp)
        data_port = int(m.group(1))
        self.assertTrue(0 < data_port < 65536)
        with socket.create_connection(("127.0.0.1", data_port), timeout=FTP_TIMEOUT) as conn:
            resp = ftp.sendcmd("RETR epsv.txt")
            self.assertTrue(resp.startswith("150"), resp)
            payload = _read_all(conn)
        self.assertTrue(ftp.voidresp().startswith("226"))
        self.assertEqual(payload, b"via epsv")
        resp = ftp.sendcmd("PASV")
        self.assertRegex(resp, r"^227 .*\(127,0,0,1,\d+,\d+\)")
        resp = ftp.sendcmd("EPSV 1")
        self.assertTrue(resp.startswith("229"), resp)
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.sendcmd("EPSV 2")
        self.assertTrue(str(cm.exception).startswith("522"), cm.exception)
        # After EPSV ALL, PASV is refused.
        self.assertTrue(ftp.sendcmd("EPSV ALL").startswith("200"))
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.sendcmd("PASV")
        self.assertTrue(str(cm.exception).startswith("503"), cm.exception)

    def test_pass_before_user_is_503(self):
        ftp = self.connect(login=False)
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.sendcmd("PASS " + PASSWORD)
        self.assertTrue(str(cm.exception).startswith("503"), cm.exception)
        # The same over a raw socket, without ftplib's help.
        with socket.create_connection(("127.0.0.1", self.port), timeout=FTP_TIMEOUT) as s:
            f = s.makefile("rb")
            self.assertTrue(f.readline().startswith(b"220"))
            s.sendall(b"PASS whatever\r\n")
            self.assertTrue(f.readline().startswith(b"503"))
            s.sendall(b"USER alice\r\n")
            self.assertTrue(f.readline().startswith(b"331"))
            s.sendall(b"PASS " + PASSWORD.encode() + b"\r\n")
            self.assertTrue(f.readline().startswith(b"230"))
            s.sendall(b"QUIT\r\n")
            self.assertTrue(f.readline().startswith(b"221"))

    def test_commands_before_login_are_530(self):
        ftp = self.connect(login=False)
        for cmd in ("PWD", "CWD /", "LIST", "RETR x", "STOR x", "PASV", "MKD x", "SIZE x"):
            with self.assertRaises(ftplib.error_perm, msg=cmd) as cm:
                ftp.sendcmd(cmd)
            self.assertTrue(str(cm.exception).startswith("530"), f"{cmd}: {cm.exception}")
        self.assertFalse((self.home / "x").exists())

    def test_wrong_password_is_530(self):
        ftp = self.connect(login=False)
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.login("alice", "wrong password")
        self.assertTrue(str(cm.exception).startswith("530"), cm.exception)
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.sendcmd("PWD")
        self.assertTrue(str(cm.exception).startswith("530"), cm.exception)
        # A later right password still works on the same connection.
        self.assertTrue(ftp.login("alice", PASSWORD).startswith("230"))

    def test_retr_without_data_connection_is_425(self):
        (self.home / "nodata.txt").write_bytes(b"x")
        ftp = self.connect()
        with self.assertRaises(ftplib.error_temp) as cm:
            ftp.sendcmd("RETR nodata.txt")
        self.assertTrue(str(cm.exception).startswith("425"), cm.exception)
        with self.assertRaises(ftplib.error_temp) as cm:
            ftp.sendcmd("LIST")
        self.assertTrue(str(cm.exception).startswith("425"), cm.exception)
        # The session is still usable.
        self.assertEqual(ftp.pwd(), "/")

    def test_unknown_command_is_500_or_502(self):
        ftp = self.connect()
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.sendcmd("XYZZY")
        self.assertIn(str(cm.exception)[:3], ("500", "502"))

    def test_utf8_names_roundtrip(self):
        ftp = self.connect()
        resp = ftp.sendcmd("OPTS UTF8 ON")
        self.assertTrue(resp.startswith("200"), resp)
        ftp.mkd("/ütf 日本")
        ftp.storbinary("STOR /ütf 日本/naïve café.txt", io.BytesIO(b"cafe"))
        self.assertEqual((self.home / "ütf 日本" / "naïve café.txt").read_bytes(), b"cafe")
        self.assertEqual(basenames(ftp.nlst("/ütf 日本")), ["naïve café.txt"])
        out = io.BytesIO()
        ftp.retrbinary("RETR /ütf 日本/naïve café.txt", out.write)
        self.assertEqual(out.getvalue(), b"cafe")

    def test_anonymous_login(self):
        (self.anon_root / "pub.txt").write_bytes(b"public")
        ftp = self.connect(login=False)
        resp = ftp.login()  # anonymous
        self.assertTrue(resp.startswith("230"), resp)
        self.assertEqual(ftp.nlst(), ["pub.txt"])
        out = io.BytesIO()
        ftp.retrbinary("RETR pub.txt", out.write)
        self.assertEqual(out.getvalue(), b"public")
        with self.assertRaises(ftplib.error_perm):
            ftp.storbinary("STOR up.txt", io.BytesIO(b"x"))
        self.assertFalse((self.anon_root / "up.txt").exists())

    def test_feat(self):
        ftp = self.connect(login=False)
        resp = ftp.sendcmd("FEAT")
        self.assertTrue(resp.startswith("211-"), resp)
        self.assertTrue(resp.splitlines()[-1].startswith("211 "), resp)
        features = {line.strip().split(" ")[0].upper() for line in resp.splitlines()[1:-1]}
        for feat in ("EPRT", "EPSV", "MDTM", "MFMT", "MLST", "PASV", "REST", "SIZE", "UTF8"):
            self.assertIn(feat, features, resp)
        self.assertRegex(resp, r"(?m)^ REST STREAM\s*$")

    def abort_transfer(self, ftp, urgent):
        """Sends ABOR: as ftplib.abort() does (Telnet IP/DM, sent as TCP urgent data), or
        as a plain command line. Returns the final reply after a possible 426."""
        if urgent:
            try:
                resp = ftp.abort()
            except TimeoutError:
                self.fail(
                    "no reply to ABOR sent by ftplib.abort() (b'\\xff\\xf4\\xff\\xf2ABOR\\r\\n' "
                    "with MSG_OOB, so the LF is the TCP urgent byte): the server received "
                    "'ABOR\\r' without its LF. Reading the control socket with SO_OOBINLINE "
                    f"keeps the urgent byte in the stream.\nserver log:\n"
                    f"{self.server.log_tail(8)}"
                )
        else:
            ftp.putcmd("ABOR")
            resp = ftp.getmultiline()
        if resp.startswith("426"):
            resp = ftp.getmultiline()
        return resp

    def test_abort_download(self):
        self.check_abort_download(urgent=False)

    def test_abort_download_ftplib_urgent(self):
        # ftplib.abort() sends "IAC IP IAC DM ABOR CRLF" with MSG_OOB, so the final LF is
        # the TCP urgent byte: a server must read the control connection with SO_OOBINLINE
        # (as vsftpd and ProFTPD do) or it never sees the end of the line.
        self.check_abort_download(urgent=True)

    def check_abort_download(self, urgent):
        size = 32 * 1024 * 1024
        with open(self.home / "abort-big.bin", "wb") as f:
            f.truncate(size)
        ftp = self.connect()
        ftp.sock.settimeout(10)
        ftp.voidcmd("TYPE I")
        with ftp.transfercmd("RETR abort-big.bin") as conn:
            self.assertTrue(conn.recv(1024))
            # The client reads no more, so the server's writes block; ABOR must still be
            # answered at once.
            resp = self.abort_transfer(ftp, urgent)
        self.assertTrue(resp[:3] in ("225", "226"), resp)
        self.assertTrue(ftp.voidcmd("NOOP").startswith("200"))
        # The session still transfers afterwards.
        out = io.BytesIO()
        ftp.retrbinary("RETR abort-big.bin", out.write, rest=size - 10)
        self.assertEqual(out.getvalue(), b"\0" * 10)

    def test_abort_upload_leaves_no_file(self):
        self.check_abort_upload(urgent=False)

    def test_abort_upload_ftplib_urgent(self):
        self.check_abort_upload(urgent=True)

    def check_abort_upload(self, urgent):
        d = self.fresh_dir("abort-up-urgent" if urgent else "abort-up")
        (d / "keep.bin").write_bytes(b"old content")
        ftp = self.connect()
        ftp.sock.settimeout(10)
        ftp.cwd("/" + d.name)
        for name in ("new.bin", "keep.bin"):
            ftp.voidcmd("TYPE I")
            with ftp.transfercmd(f"STOR {name}") as conn:
                conn.sendall(b"partial data " * 1000)
                resp = self.abort_transfer(ftp, urgent)
            self.assertTrue(resp[:3] in ("225", "226"), resp)
            self.assertTrue(ftp.voidcmd("NOOP").startswith("200"))
        # Uploads are atomic: an aborted STOR creates nothing and keeps the old file.
        self.assertEqual(sorted(os.listdir(d)), ["keep.bin"])
        self.assertEqual((d / "keep.bin").read_bytes(), b"old content")

    def test_concurrent_sessions(self):
        import threading

        self.fresh_dir("conc")
        errors = []
        rng = random.Random(6)
        payloads = {t: [rng.randbytes(rng.randrange(1, 300_000)) for _ in range(4)]
                    for t in range(8)}

        def worker(t):
            try:
                ftp = ftplib.FTP(timeout=FTP_TIMEOUT, encoding="utf-8")
                ftp.connect("127.0.0.1", self.port)
                try:
                    ftp.login("alice", PASSWORD)
                    ftp.set_pasv(t % 2 == 0)
                    for i, blob in enumerate(payloads[t]):
                        ftp.storbinary(f"STOR /conc/t{t}-{i}.bin", io.BytesIO(blob))
                        out = io.BytesIO()
                        ftp.retrbinary(f"RETR /conc/t{t}-{i}.bin", out.write)
                        if out.getvalue() != blob:
                            errors.append(f"thread {t} file {i}: content differs")
                finally:
                    ftp.quit()
            except Exception as e:  # reported below
                errors.append(f"thread {t}: {e!r}")

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=120)
        self.assertFalse(any(th.is_alive() for th in threads), "threads hung")
        self.assertEqual(errors, [])
        for t, blobs in payloads.items():
            for i, blob in enumerate(blobs):
                self.assertEqual(sha256_file(self.home / "conc" / f"t{t}-{i}.bin"),
                                 sha256_bytes(blob))

    def test_list_with_ls_options(self):
        d = self.fresh_dir("lsopts")
        (d / "visible.txt").write_bytes(b"v")
        (d / ".dotfile").write_bytes(b"d")
        ftp = self.connect()
        ftp.cwd("/lsopts")
        for cmd in ("LIST -la", "LIST -a", "LIST -l"):
            lines = []
            ftp.retrlines(cmd, lines.append)
            self.assertTrue(any(l.endswith(" visible.txt") for l in lines), f"{cmd}: {lines}")
        lines = []
        ftp.retrlines("LIST -la /lsopts", lines.append)
        self.assertTrue(any(l.endswith(" visible.txt") for l in lines), lines)
        self.assertTrue(any(l.endswith(" .dotfile") for l in lines), lines)

    def test_error_replies_for_bad_paths(self):
        d = self.fresh_dir("badpaths")
        (d / "sub").mkdir()
        ftp = self.connect()
        ftp.cwd("/badpaths")
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.retrbinary("RETR sub", lambda b: None)
        self.assertTrue(str(cm.exception).startswith("550"), cm.exception)
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.retrbinary("RETR missing.bin", lambda b: None)
        self.assertTrue(str(cm.exception).startswith("550"), cm.exception)
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.storbinary("STOR no/such/dir/x.bin", io.BytesIO(b"x"))
        self.assertIn(str(cm.exception)[:3], ("550", "553"))
        with self.assertRaises(ftplib.Error) as cm:
            ftp.nlst("/badpaths/nothing-here")
        self.assertIn(str(cm.exception)[:3], ("450", "550"))
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.mkd("sub")
        self.assertTrue(str(cm.exception).startswith("550"), cm.exception)
        (d / "sub" / "f").write_bytes(b"f")
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.rmd("sub")  # not empty
        self.assertTrue(str(cm.exception).startswith("550"), cm.exception)
        self.assertTrue((d / "sub" / "f").exists())

    def test_symlink_out_of_root_is_refused(self):
        outside = self.tmp / "outside"
        outside.mkdir(exist_ok=True)
        (outside / "secret.txt").write_bytes(b"secret")
        os.symlink(outside, self.home / "escape")
        os.symlink(outside / "secret.txt", self.home / "escape-file")
        ftp = self.connect()
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.retrbinary("RETR /escape/secret.txt", lambda b: None)
        self.assertTrue(str(cm.exception).startswith("550"), cm.exception)
        with self.assertRaises(ftplib.error_perm):
            ftp.retrbinary("RETR /escape-file", lambda b: None)
        with self.assertRaises(ftplib.error_perm):
            ftp.storbinary("STOR /escape/planted.txt", io.BytesIO(b"x"))
        self.assertFalse((outside / "planted.txt").exists())
        with self.assertRaises(ftplib.error_perm):
            ftp.cwd("/escape")
        self.assertEqual(ftp.pwd(), "/")

    def test_port_to_other_host_is_refused(self):
        ftp = self.connect()
        # 127.0.0.2 is on this machine but is not the client's address: FTP bounce.
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.sendcmd("PORT 127,0,0,2,4,1")
        self.assertTrue(str(cm.exception).startswith("501"), cm.exception)
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.sendcmd("EPRT |1|127.0.0.2|1025|")
        self.assertTrue(str(cm.exception).startswith("501"), cm.exception)
        with self.assertRaises(ftplib.error_perm) as cm:
            ftp.sendcmd("PORT 1,2,3")
        self.assertTrue(str(cm.exception).startswith("501"), cm.exception)

    def test_raw_protocol_edges(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=FTP_TIMEOUT) as s:
            f = s.makefile("rb")
            self.assertTrue(f.readline().startswith(b"220"))
            s.sendall(b"NOOP " + b"x" * 5000 + b"\r\n")
            self.assertTrue(f.readline().startswith(b"500"))
            s.sendall(b"\r\n")  # an empty line gets no reply
            s.sendall(b"noop\r\n")  # commands are case-insensitive
            self.assertTrue(f.readline().startswith(b"200"))
            s.sendall(b"USER alice\n")  # a bare LF ends a line too
            self.assertTrue(f.readline().startswith(b"331"))
            s.sendall(b"QUIT\r\n")
            self.assertTrue(f.readline().startswith(b"221"))
            self.assertEqual(f.readline(), b"")
        with socket.create_connection(("127.0.0.1", self.port), timeout=FTP_TIMEOUT) as s:
            f = s.makefile("rb")
            self.assertTrue(f.readline().startswith(b"220"))
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertTrue(f.readline().startswith(b"500"))
            # ... and the connection is closed.
            rest = f.read()
            self.assertNotIn(b"331", rest)

    def test_many_sequential_transfers_on_one_session(self):
        ftp = self.connect()
        ftp.mkd("/seq")
        rng = random.Random(5)
        blobs = {f"f{i}.bin": rng.randbytes(rng.randrange(0, 5000)) for i in range(40)}
        for name, blob in blobs.items():
            ftp.storbinary(f"STOR /seq/{name}", io.BytesIO(blob))
        for name, blob in blobs.items():
            out = io.BytesIO()
            ftp.retrbinary(f"RETR /seq/{name}", out.write)
            self.assertEqual(out.getvalue(), blob, name)
        self.assertEqual(basenames(ftp.nlst("/seq")), sorted(blobs))


def basenames(names):
    """NLST of a directory may give bare names or the paths as asked: compare the last part."""
    return sorted(posixpath.basename(n) for n in names)


def _read_all(conn):
    chunks = []
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


class CurlTests(ServerTestCase):
    """curl as an FTP client."""

    @classmethod
    def setUpClass(cls):
        require_tool("curl")
        super().setUpClass()
        cls.base = f"ftp://alice:{PASSWORD}@127.0.0.1:{cls.port}"

    def curl(self, *args, check=True):
        # -q: ignore ~/.curlrc. --max-time bounds each run.
        return run_cmd(["curl", "-q", "-sS", "--max-time", "60", *args],
                       check=check, server=self.server)

    def local(self, name, data=None):
        path = self.client_dir / f"{self._testMethodName}-{name}"
        if data is not None:
            path.write_bytes(data)
        return path

    def test_upload_and_download(self):
        data = random.Random(10).randbytes(1_500_000)
        src = self.local("src.bin", data)
        self.curl("-T", str(src), f"{self.base}/curl-up.bin")
        self.assertEqual(sha256_file(self.home / "curl-up.bin"), sha256_bytes(data))
        dst = self.local("dst.bin")
        self.curl("-o", str(dst), f"{self.base}/curl-up.bin")
        self.assertEqual(sha256_file(dst), sha256_bytes(data))

    def test_download_missing_file_fails(self):
        proc = self.curl("-o", str(self.local("none")), f"{self.base}/no-such-file",
                         check=False)
        # 78: CURLE_REMOTE_FILE_NOT_FOUND (550 on RETR/SIZE).
        self.assertEqual(proc.returncode, 78, proc.stderr)

    def test_list_directory(self):
        d = self.fresh_dir("curl-list")
        (d / "one.txt").write_bytes(b"1")
        (d / "two words.txt").write_bytes(b"22")
        (d / "sub").mkdir()
        out = self.curl(f"{self.base}/curl-list/").stdout.decode()
        lines = out.splitlines()
        self.assertEqual(len(lines), 3, out)
        self.assertTrue(any(l.startswith("d") and l.endswith(" sub") for l in lines), out)
        self.assertTrue(any(l.startswith("-") and l.endswith(" two words.txt") for l in lines),
                        out)
        names = self.curl("--list-only", f"{self.base}/curl-list/").stdout.decode()
        self.assertEqual(sorted(names.splitlines()), ["one.txt", "sub", "two words.txt"])

    def test_create_dirs(self):
        data = b"deep file\n" * 100
        src = self.local("deep.txt", data)
        self.curl("--ftp-create-dirs", "-T", str(src), f"{self.base}/c1/c2/c3/deep.txt")
        self.assertEqual((self.home / "c1" / "c2" / "c3" / "deep.txt").read_bytes(), data)
        # Without --ftp-create-dirs a missing directory is an error.
        proc = self.curl("-T", str(src), f"{self.base}/nodir/x/deep.txt", check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertFalse((self.home / "nodir").exists())

    def test_resume_download(self):
        data = random.Random(11).randbytes(400_000)
        (self.home / "curl-resume.bin").write_bytes(data)
        dst = self.local("resume.bin", data[:123_457])
        self.curl("-C", "-", "-o", str(dst), f"{self.base}/curl-resume.bin")
        self.assertEqual(sha256_file(dst), sha256_bytes(data))

    def test_resume_upload(self):
        data = random.Random(12).randbytes(300_000)
        (self.home / "curl-resume-up.bin").write_bytes(data[:100_000])
        src = self.local("resume-up.bin", data)
        self.curl("-C", "-", "-T", str(src), f"{self.base}/curl-resume-up.bin")
        self.assertEqual(sha256_file(self.home / "curl-resume-up.bin"), sha256_bytes(data))

    def test_quote_commands(self):
        (self.home / "victim.txt").write_bytes(b"bye")
        self.curl("-Q", "DELE victim.txt", "-Q", "MKD quoted-dir", f"{self.base}/")
        self.assertFalse((self.home / "victim.txt").exists())
        self.assertTrue((self.home / "quoted-dir").is_dir())
        # A failing quote command makes curl fail (21: CURLE_QUOTE_ERROR).
        proc = self.curl("-Q", "DELE victim.txt", f"{self.base}/", check=False)
        self.assertEqual(proc.returncode, 21, proc.stderr)
        # Post-transfer quote, with a rename.
        (self.home / "r1.txt").write_bytes(b"r")
        self.curl("-Q", "-RNFR r1.txt", "-Q", "-RNTO r2.txt", f"{self.base}/")
        self.assertFalse((self.home / "r1.txt").exists())
        self.assertEqual((self.home / "r2.txt").read_bytes(), b"r")

    def test_active_mode(self):
        data = random.Random(13).randbytes(250_000)
        src = self.local("act.bin", data)
        proc = self.curl("-v", "--ftp-port", "127.0.0.1", "-T", str(src),
                         f"{self.base}/curl-active.bin")
        err = proc.stderr.decode("utf-8", "replace")
        self.assertRegex(err, r"> (EPRT|PORT) ")
        self.assertEqual(sha256_file(self.home / "curl-active.bin"), sha256_bytes(data))
        dst = self.local("act-dst.bin")
        self.curl("-P", "127.0.0.1", "-o", str(dst), f"{self.base}/curl-active.bin")
        self.assertEqual(sha256_file(dst), sha256_bytes(data))
        # PORT instead of EPRT.
        dst2 = self.local("act-dst2.bin")
        proc = self.curl("-v", "-P", "127.0.0.1", "--disable-eprt", "-o", str(dst2),
                         f"{self.base}/curl-active.bin")
        self.assertIn("> PORT 127,0,0,1,", proc.stderr.decode("utf-8", "replace"))
        self.assertEqual(sha256_file(dst2), sha256_bytes(data))
        listing = self.curl("-P", "127.0.0.1", "--list-only", f"{self.base}/").stdout.decode()
        self.assertIn("curl-active.bin", listing.splitlines())

    def test_epsv_and_pasv(self):
        data = random.Random(14).randbytes(100_000)
        (self.home / "curl-pasv.bin").write_bytes(data)
        dst = self.local("epsv.bin")
        proc = self.curl("-v", "-o", str(dst), f"{self.base}/curl-pasv.bin")
        err = proc.stderr.decode("utf-8", "replace")
        self.assertIn("> EPSV", err)
        self.assertRegex(err, r"< 229 .*\(\|\|\|\d+\|\)")
        self.assertNotIn("> PASV", err)
        self.assertEqual(sha256_file(dst), sha256_bytes(data))
        dst2 = self.local("pasv.bin")
        proc = self.curl("-v", "--disable-epsv", "-o", str(dst2), f"{self.base}/curl-pasv.bin")
        err = proc.stderr.decode("utf-8", "replace")
        self.assertIn("> PASV", err)
        self.assertRegex(err, r"< 227 .*\(127,0,0,1,\d+,\d+\)")
        self.assertNotIn("> EPSV", err)
        self.assertEqual(sha256_file(dst2), sha256_bytes(data))

    def test_ftp_methods(self):
        d = self.fresh_dir("meth")
        (d / "inner").mkdir()
        data = b"method data"
        (d / "inner" / "m.txt").write_bytes(data)
        for method in ("multicwd", "singlecwd", "nocwd"):
            dst = self.local(f"{method}.txt")
            self.curl("--ftp-method", method, "-o", str(dst), f"{self.base}/meth/inner/m.txt")
            self.assertEqual(dst.read_bytes(), data, method)

    def test_wrong_password(self):
        proc = self.curl("-o", str(self.local("x")),
                         f"ftp://alice:wrong@127.0.0.1:{self.port}/anything", check=False)
        # 67: CURLE_LOGIN_DENIED.
        self.assertEqual(proc.returncode, 67, proc.stderr)

    def test_read_only_user_upload_refused(self):
        src = self.local("ro.txt", b"no")
        proc = self.curl("-T", str(src),
                         f"ftp://reader:{RO_PASSWORD}@127.0.0.1:{self.port}/ro.txt", check=False)
        # 25: CURLE_UPLOAD_FAILED (STOR refused).
        self.assertEqual(proc.returncode, 25, proc.stderr)
        self.assertFalse((self.ro_home / "ro.txt").exists())

    def test_ascii_upload(self):
        src = self.local("ascii.txt", b"l1\nl2\nl3\n")
        # --crlf puts CRLF on the wire, --use-ascii sends TYPE A: the server stores LF.
        proc = self.curl("-v", "--use-ascii", "--crlf", "-T", str(src),
                         f"{self.base}/curl-ascii.txt")
        self.assertIn("> TYPE A", proc.stderr.decode("utf-8", "replace"))
        self.assertEqual((self.home / "curl-ascii.txt").read_bytes(), b"l1\nl2\nl3\n")


class IdleTimeoutTests(ServerTestCase):
    """A session idle longer than --idle-timeout is told 421 and closed."""

    extra_server_args = ("--idle-timeout", "2")

    def test_idle_session_gets_421(self):
        ftp = self.connect()
        self.assertEqual(ftp.pwd(), "/")
        started = time.monotonic()
        resp = ftp.getline()
        waited = time.monotonic() - started
        self.assertTrue(resp.startswith("421"), resp)
        self.assertGreater(waited, 1.0)
        self.assertLess(waited, 10.0)
        # Then the server closes the connection.
        self.assertEqual(ftp.file.readline(), "")

    def test_activity_keeps_session(self):
        ftp = self.connect()
        for _ in range(4):
            time.sleep(1)
            self.assertTrue(ftp.voidcmd("NOOP").startswith("200"))


def make_tree(root, count, seed, max_size=200 * 1024):
    """Writes `count` files of varied sizes in nested directories under root."""
    rng = random.Random(seed)
    dirs = [
        "",
        "alpha",
        "alpha/beta",
        "alpha/beta/gamma",
        "alpha/beta/gamma/delta",
        "dir with spaces",
        "dir with spaces/ünïcödé",
        "日本語のフォルダ",
        "mixed/Ελληνικά/emoji 🎉",
        "mixed/plain",
        "deep/1/2/3/4/5",
    ]
    name_forms = [
        "file {i:03d}.bin",
        "plain_{i}.dat",
        "naïve café {i}.txt",
        "テスト {i}.bin",
        "spaces  in   name {i}",
        "Ωmega-{i}.log",
        ".hidden-{i}",
    ]
    special_sizes = [0, 1, 2, 4095, 4096, 4097, 65535, 65536, 65537, max_size]
    for d in dirs:
        (root / d).mkdir(parents=True, exist_ok=True)
    (root / "empty dir").mkdir()
    (root / "alpha" / "empty inside").mkdir()
    for i in range(count):
        d = dirs[i % len(dirs)] if i % 3 else rng.choice(dirs)
        name = name_forms[i % len(name_forms)].format(i=i)
        if i < len(special_sizes):
            size = special_sizes[i]
        elif rng.random() < 0.1:
            size = 0
        else:
            size = rng.randrange(1, max_size + 1)
        if i % 5 == 0:
            # Text with LF line ends: binary transfers must not touch them.
            line = f"line {i} with text\n".encode()
            data = (line * (size // len(line) + 1))[:size]
        else:
            data = rng.randbytes(size)
        (root / d / name).write_bytes(data)
        # A whole-second time in the past, so that copied times can be checked.
        stamp = 1_500_000_000 + rng.randrange(0, 100_000_000)
        os.utime(root / d / name, (stamp, stamp))
    return tree_snapshot(root)


def tree_mtimes(root):
    """{relative file path: mtime in whole seconds} of every file under root."""
    out = {}
    for dirpath, _, filenames in os.walk(root):
        for f in filenames:
            p = os.path.join(dirpath, f)
            out[os.path.normpath(os.path.relpath(p, root))] = int(os.stat(p).st_mtime)
    return out


def run_lftp(test, settings, commands, passive, timeout):
    """Runs lftp with `settings` (TLS and the like), the common ones, a login to test's
    server as alice, then `commands`; lftp's home is test.lftp_home."""
    script = list(settings) + [
        "set net:max-retries 1",
        "set net:timeout 10",
        "set net:reconnect-interval-base 1",
        "set cmd:fail-exit yes",
        "set ftp:passive-mode " + ("on" if passive else "off"),
        f"open -u alice,{PASSWORD} ftp://127.0.0.1:{test.port}",
    ] + commands
    script_path = test.tmp / f"{test._testMethodName}.lftp"
    script_path.write_text("\n".join(script) + "\n", encoding="utf-8")
    env = dict(os.environ)
    env.update(HOME=str(test.lftp_home), LC_ALL="C.UTF-8", LANG="C.UTF-8")
    env.pop("LFTP_HOME", None)
    return run_cmd(["lftp", "-f", str(script_path)], env=env, timeout=timeout,
                   server=test.server)


class LftpTests(ServerTestCase):
    """lftp mirrors a tree up to the server and back."""

    @classmethod
    def setUpClass(cls):
        require_tool("lftp")
        super().setUpClass()
        cls.lftp_home = cls.tmp / "lftp-home"
        cls.lftp_home.mkdir()

    def lftp(self, commands, passive=True, timeout=MIRROR_TIMEOUT):
        return run_lftp(self, ["set ftp:ssl-allow no"], commands, passive, timeout)

    def assert_same_tree(self, expected, actual_root, what):
        assert_same_tree(self, expected, actual_root, what)

    def assert_same_mtimes(self, expected_root, actual_root, what):
        exp, got = tree_mtimes(expected_root), tree_mtimes(actual_root)
        wrong = sorted(f"{p}: {exp[p]} != {got.get(p)}" for p in exp if got.get(p) != exp[p])
        self.assertEqual(wrong[:20], [], f"{what}: {len(wrong)} files with other times")

    def test_mirror_up_and_down(self):
        src = self.client_dir / "mirror-src"
        src.mkdir()
        snapshot = make_tree(src, 300, seed=42)
        self.assertEqual(len(snapshot[0]), 300)
        started = time.monotonic()
        self.lftp([f'mirror -R --parallel=3 "{src}" /mirrored'])
        up_secs = time.monotonic() - started
        self.assert_same_tree(snapshot, self.home / "mirrored", "mirror -R (upload)")
        # lftp sets each uploaded file's time with MFMT; the server applies it.
        self.assert_same_mtimes(src, self.home / "mirrored", "mirror -R (upload)")

        down = self.client_dir / "mirror-down"
        started = time.monotonic()
        proc = self.lftp([f'mirror --verbose --parallel=2 /mirrored "{down}"'])
        down_secs = time.monotonic() - started
        # (The check below, that a repeated mirror transfers nothing, relies on this text.)
        self.assertIn("Transferring file", proc.stdout.decode("utf-8", "replace"))
        self.assert_same_tree(snapshot, down, "mirror (download)")
        # lftp sets each downloaded file's time from the MLSD modify fact.
        self.assert_same_mtimes(src, down, "mirror (download)")
        # Server side and downloaded copy agree with each other too.
        self.assert_same_tree(tree_snapshot(self.home / "mirrored"), down, "server vs download")

        # A second mirror finds nothing to do and changes nothing.
        proc = self.lftp([f'mirror --verbose /mirrored "{down}"'])
        self.assert_same_tree(snapshot, down, "repeated mirror")
        self.assertNotIn("Transferring file", proc.stdout.decode("utf-8", "replace"))
        sys.stderr.write(f"(300 files: up {up_secs:.1f}s, down {down_secs:.1f}s) ")
        sys.stderr.flush()

    def test_mirror_active_mode(self):
        src = self.client_dir / "active-src"
        src.mkdir()
        snapshot = make_tree(src, 40, seed=7, max_size=64 * 1024)
        self.lftp([f'mirror -R "{src}" /active-mirrored'], passive=False)
        self.assert_same_tree(snapshot, self.home / "active-mirrored", "active mirror -R")
        self.assertRegex(self.server.log_path.read_text("utf-8", "replace"),
                         r"command=(PORT|EPRT) ", "lftp did not use active mode")
        down = self.client_dir / "active-down"
        self.lftp([f'mirror /active-mirrored "{down}"'], passive=False)
        self.assert_same_tree(snapshot, down, "active mirror (download)")

    def test_basic_commands(self):
        d = self.fresh_dir("lftp-basic")
        (d / "get me.txt").write_bytes(b"lftp get\n")
        src = self.client_dir / "put-me.bin"
        data = random.Random(21).randbytes(70_000)
        src.write_bytes(data)
        got = self.client_dir / "got.txt"
        proc = self.lftp([
            "cd /lftp-basic",
            f'put "{src}" -o uploaded.bin',
            f'get "get me.txt" -o "{got}"',
            "mkdir newdir",
            "mv uploaded.bin newdir/moved.bin",
            "cls -1 newdir",
            "rm \"get me.txt\"",
        ])
        self.assertEqual(sha256_file(d / "newdir" / "moved.bin"), sha256_bytes(data))
        self.assertEqual(got.read_bytes(), b"lftp get\n")
        self.assertFalse((d / "get me.txt").exists())
        self.assertIn("newdir/moved.bin", proc.stdout.decode("utf-8", "replace"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
