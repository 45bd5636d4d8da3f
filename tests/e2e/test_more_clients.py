"""End-to-end tests with two more real clients: the classic `ftp` command and rclone.

`ftp` is Debian's tnftp (package `ftp`), driven non-interactively: `ftp -n -v 127.0.0.1 PORT`
with its commands on standard input. With -v it prints every server reply, so each test
checks the replies it saw as well as the files on disk and the commands in the server log.

rclone uses an on-the-fly remote (`:ftp,host=...,user=...,pass=OBSCURED:/path`) with an empty
config file of its own, against a plain server and against FTPS servers (explicit and
implicit TLS, self-signed certificate) with `--tls-session-reuse required` and `optional`.

Both tools are required: a missing one is a failure, never a skip (scripts/test installs
them). Servers, binary lookup and helpers come from test_clients.py and test_ftps.py.
"""

import calendar
import os
import random
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from test_clients import (  # noqa: E402  (after the sys.path set-up above)
    assert_same_tree,
    CMD_TIMEOUT,
    PASSWORD,
    RO_PASSWORD,
    ServerTestCase,
    make_tree,
    require_tool,
    run_cmd,
    sha256_bytes,
    sha256_file,
    tree_mtimes,
    tree_snapshot,
)
from test_ftps import FtpsTestCase  # noqa: E402

# Environment variables that would change how tnftp or rclone behave.
_CLIENT_ENV_DROP = ("FTPMODE", "FTPPROMPT", "FTPRPROMPT", "FTPSERVER", "FTPSERVERPORT", "NETRC",
                    "ftp_proxy", "http_proxy", "https_proxy", "no_proxy", "FTP_PROXY",
                    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "all_proxy")


def client_env(home):
    """A clean environment for a client: its own HOME, UTF-8, UTC, no proxies."""
    env = {k: v for k, v in os.environ.items()
           if k not in _CLIENT_ENV_DROP and not k.startswith("RCLONE_")}
    env.update(HOME=str(home), LC_ALL="C.UTF-8", LANG="C.UTF-8", TZ="UTC",
               XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache"))
    return env


class LogMark:
    """The part of a server log written after a point in time."""

    def __init__(self, server):
        self.path = server.log_path
        self.offset = self.path.stat().st_size

    def text(self):
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            return f.read().decode("utf-8", "replace")

    def commands(self):
        """Every command line the server logged since the mark, in order."""
        return re.findall(r"control: command=(.*)$", self.text(), re.M)


# ------------------------------------------------------------------------------ ftp (tnftp)


REPLY_RE = re.compile(r"^(\d{3})[ -]", re.M)


class FtpCommandTests(ServerTestCase):
    """The classic `ftp` command (tnftp) with commands on standard input."""

    @classmethod
    def setUpClass(cls):
        require_tool("ftp")
        super().setUpClass()
        cls.ftp_home = cls.tmp / "ftp-home"
        cls.ftp_home.mkdir()
        # The commands and output below are tnftp's (Debian's `ftp`), not inetutils-ftp's.
        out = run_cmd(["ftp", "-n"], input=b"status\n", env=client_env(cls.ftp_home),
                      timeout=30).stdout.decode("utf-8", "replace")
        if not re.search(r"^Version: tnftp ", out, re.M):
            raise AssertionError(f"`ftp` is not tnftp (install Debian's ftp package):\n{out}")

    def workdir(self):
        """This test's local directory (the client's working directory)."""
        d = self.client_dir / self._testMethodName
        d.mkdir(exist_ok=True)
        return d

    def ftp(self, commands, *, user="alice", password=PASSWORD, cwd=None):
        """Runs one `ftp -n -v` session: login (unless user is None), `prompt off`, the
        commands, `quit`. Returns (stdout, stderr, LogMark); checks that the session ended
        with 221 and that the server was reached at all."""
        lines = []
        if user is not None:
            lines.append(f"user {user} {password}")
        lines.append("prompt off")
        lines += commands
        lines.append("quit")
        mark = LogMark(self.server)
        proc = run_cmd(["ftp", "-n", "-v", "127.0.0.1", str(self.port)],
                       input=("\n".join(lines) + "\n").encode(), cwd=cwd or self.workdir(),
                       env=client_env(self.ftp_home), server=self.server)
        out = proc.stdout.decode("utf-8", "replace")
        err = proc.stderr.decode("utf-8", "replace")
        self.assertRegex(out, r"^Connected to 127\.0\.0\.1\.\n220 ", f"stderr: {err}")
        self.assertRegex(out, r"\n221 [^\n]*\n?$", f"the session did not end with QUIT: {out}")
        return out, err, mark

    def assert_clean(self, out, err, allowed=()):
        """No 4xx/5xx reply (but those listed) and nothing on stderr."""
        bad = [l for l in out.splitlines() if re.match(r"^[45]\d\d[ -]", l)
               and not any(l.startswith(a) for a in allowed)]
        self.assertEqual(bad, [], f"unexpected error replies in:\n{out}")
        self.assertEqual(err, "", f"ftp wrote to stderr; its stdout:\n{out}")

    def assert_logged_in(self, out, user="alice"):
        self.assertIn(f"331 Password required for {user}.\n230 ", out)
        self.assertIn("Remote system type is UNIX.", out)

    # -- login, status ---------------------------------------------------------------------

    def test_login_status_system_pwd(self):
        out, err, mark = self.ftp(["status", "system", "pwd", "feat"])
        self.assert_clean(out, err)
        self.assert_logged_in(out)
        # The client this file is written for; it starts in passive mode with EPSV.
        self.assertIn("Version: tnftp", out)
        self.assertIn("Passive mode: on;", out)
        self.assertIn("Use of EPSV/EPRT cmds for IPv4: on.", out)
        self.assertIn("\n215 UNIX Type: L8\n", out)
        self.assertIn("Remote directory: /\n", out)
        self.assertRegex(out, r"\n211-[^\n]*\n(?: [^\n]*\n)* MLST [^\n]*\n(?: [^\n]*\n)*211 ")
        self.assertEqual(mark.commands()[0], "USER alice")
        # The password never reaches the log.
        self.assertNotIn(PASSWORD, mark.text())
        self.assertIn("SYST", mark.commands())
        self.assertIn("PWD", mark.commands())
        self.assertEqual(mark.commands()[-1], "QUIT")

    def test_wrong_password_then_right_one(self):
        out, err, mark = self.ftp(["ls", "user alice not-the-password", f"user alice {PASSWORD}",
                                "pwd"], user=None)
        # Before login: 530 for EPSV and for the PASV tnftp falls back to (its later try at an
        # active-mode port fails in the client: "Can't bind for data connection").
        self.assertRegex(out, r"\n220 [^\n]*\nInteractive mode off\.\n"
                              r"530 Please login with USER and PASS\.\n"
                              r"530 Please login with USER and PASS\.\n331 ")
        self.assertIn("331 Password required for alice.\n530 Login incorrect.\nLogin failed.",
                      out)
        # The same connection then logs in.
        self.assertIn("331 Password required for alice.\n230 ", out)
        self.assertIn("Remote directory: /\n", out)
        self.assertNotIn("421", out)
        self.assertEqual(mark.commands()[:2], ["EPSV", "PASV"])

    def test_read_only_user(self):
        (self.ro_home / "readable.txt").write_bytes(b"for reading\n")
        work = self.workdir()
        (work / "try.txt").write_bytes(b"not allowed\n")
        out, err, _ = self.ftp(["get readable.txt got.txt", "put try.txt try.txt",
                                "mkdir nope", "delete readable.txt",
                                "rename readable.txt other.txt"],
                               user="reader", password=RO_PASSWORD)
        self.assert_logged_in(out, "reader")
        self.assertEqual((work / "got.txt").read_bytes(), b"for reading\n")
        self.assertRegex(out, r"local: try\.txt remote: try\.txt\n229 [^\n]*\n5\d\d ")
        self.assertFalse((self.ro_home / "try.txt").exists())
        self.assertFalse((self.ro_home / "nope").exists())
        self.assertTrue((self.ro_home / "readable.txt").is_file())
        self.assertFalse((self.ro_home / "other.txt").exists())
        # Four refusals: STOR, MKD, DELE, RNFR.
        self.assertEqual(len(re.findall(r"^5\d\d ", out, re.M)), 4, out)

    # -- transfers in each data-connection mode --------------------------------------------

    def roundtrip(self, mode_commands, dirname, seed, data_reply, data_command, others):
        """put, get, ls, dir, nlist and an ls into a local file in one mode; checks every
        data connection's reply and that the server saw only `data_command`."""
        d = self.fresh_dir(dirname)
        (d / "there.txt").write_bytes(b"already there\n")
        work = self.workdir()
        data = random.Random(seed).randbytes(300_000)
        (work / "up.bin").write_bytes(data)
        out, err, mark = self.ftp(mode_commands + [
            "binary",
            f"cd {dirname}",
            "put up.bin",
            "get up.bin down.bin",
            "ls",
            "dir",
            "nlist",
            "ls . listing.txt",
        ])
        self.assert_clean(out, err)
        self.assertEqual(sha256_file(d / "up.bin"), sha256_bytes(data))
        self.assertEqual(sha256_file(work / "down.bin"), sha256_bytes(data))
        self.assertRegex(out, r"local: up\.bin remote: up\.bin\n" + data_reply +
                         r"\n150 [^\n]*\n226 [^\n]*\n300000 bytes sent in ")
        self.assertRegex(out, r"local: down\.bin remote: up\.bin\n" + data_reply +
                         r"\n150 [^\n]*\(300000 bytes\)[^\n]*\n226 [^\n]*\n"
                         r"300000 bytes received in ")
        # ls and dir: `ls -l` lines for both files.
        listings = re.findall(data_reply + r"\n150 Here comes the directory listing\.\n"
                              r"((?:[^\n]*\n)*?)226 ", out)
        self.assertEqual(len(listings), 4, out)
        for listing in listings[:2]:
            lines = listing.splitlines()
            self.assertEqual(len(lines), 2, listing)
            self.assertTrue(any(re.match(r"^-\S{9}\s+\d+\s+\S+\s+\S+\s+300000\s.* up\.bin$", l)
                                for l in lines), listing)
            self.assertTrue(any(re.match(r"^-\S{9}\s+.*\s14\s.* there\.txt$", l)
                                for l in lines), listing)
        self.assertEqual(sorted(listings[2].splitlines()), ["there.txt", "up.bin"])
        # `ls . FILE` wrote the listing to a local file rather than to stdout.
        self.assertEqual(listings[3], "")
        saved = (work / "listing.txt").read_text("utf-8").splitlines()
        self.assertEqual(len(saved), 2, saved)
        self.assertTrue(any(l.endswith(" up.bin") for l in saved), saved)
        commands = mark.commands()
        verbs = [c.split(" ", 1)[0] for c in commands]
        self.assertEqual(verbs.count(data_command), 6, commands)
        for other in others:
            self.assertNotIn(other, verbs, commands)
        return out, commands

    def test_passive_epsv_default(self):
        self.roundtrip([], "pasv-epsv", 101, r"229 Entering Extended Passive Mode \(\|\|\|\d+\|\)",
                       "EPSV", ("PASV", "PORT", "EPRT"))

    def test_passive_pasv(self):
        out, _ = self.roundtrip(["epsv4 off"], "pasv-pasv", 102,
                                r"227 Entering Passive Mode \(127,0,0,1,\d+,\d+\)\.?",
                                "PASV", ("EPSV", "PORT", "EPRT"))
        self.assertIn("EPSV/EPRT on IPv4 off.", out)

    def test_active_eprt(self):
        out, commands = self.roundtrip(["passive off"], "act-eprt", 103, r"200 [^\n]*", "EPRT",
                                       ("PASV", "EPSV", "PORT"))
        self.assertIn("Passive mode: off; fallback to active mode: off.", out)
        for c in commands:
            if c.startswith("EPRT"):
                self.assertRegex(c, r"^EPRT \|1\|127\.0\.0\.1\|\d+\|$")

    def test_active_port(self):
        _, commands = self.roundtrip(["passive off", "epsv4 off"], "act-port", 104,
                                     r"200 [^\n]*", "PORT", ("PASV", "EPSV", "EPRT"))
        for c in commands:
            if c.startswith("PORT"):
                self.assertRegex(c, r"^PORT 127,0,0,1,\d+,\d+$")

    def test_mode_switch_in_one_session(self):
        # passive -> active -> passive on one control connection.
        d = self.fresh_dir("switch")
        work = self.workdir()
        for i in range(3):
            (work / f"s{i}.bin").write_bytes(random.Random(200 + i).randbytes(50_000 + i))
        out, err, mark = self.ftp([
            "cd switch", "put s0.bin", "passive off", "put s1.bin", "ls",
            "passive on", "put s2.bin", "ls",
        ])
        self.assert_clean(out, err)
        for i in range(3):
            self.assertEqual((d / f"s{i}.bin").read_bytes(), (work / f"s{i}.bin").read_bytes())
        verbs = [c.split(" ", 1)[0] for c in mark.commands()]
        self.assertEqual([v for v in verbs if v in ("EPSV", "EPRT", "PASV", "PORT")],
                         ["EPSV", "EPRT", "EPRT", "EPSV", "EPSV"])

    # -- directories, rename, delete -------------------------------------------------------

    def test_mkdir_cd_rename_delete_rmdir(self):
        base = self.fresh_dir("tree ops")
        work = self.workdir()
        (work / "ä b.txt").write_bytes(b"umlaut and space\n")
        out, err, _ = self.ftp([
            'cd "tree ops"',
            'mkdir "new dir ü"',
            'cd "new dir ü"',
            "pwd",
            'put "ä b.txt" "ä b.txt"',
            'rename "ä b.txt" "renamed ü.txt"',
            "cdup",
            "pwd",
            'rename "new dir ü" "moved dir ü"',
            'mkdir "/tree ops/second"',
        ])
        self.assert_clean(out, err)
        self.assertIn('257 "/tree ops/new dir ü" created.', out)
        self.assertIn('250 Directory changed to "/tree ops/new dir ü".', out)
        self.assertIn("Remote directory: /tree ops/new dir ü\n", out)
        self.assertIn("350 ", out)
        self.assertEqual(len(re.findall(r"^350 [^\n]*\n250 ", out, re.M)), 2, out)
        self.assertIn("Remote directory: /tree ops\n", out)
        self.assertEqual(sorted(os.listdir(base)), ["moved dir ü", "second"])
        self.assertEqual(os.listdir(base / "moved dir ü"), ["renamed ü.txt"])
        self.assertEqual((base / "moved dir ü" / "renamed ü.txt").read_bytes(),
                         b"umlaut and space\n")

        out, err, mark = self.ftp([
            'cd "tree ops"',
            'rmdir "moved dir ü"',
            'delete "moved dir ü/renamed ü.txt"',
            'delete "moved dir ü/renamed ü.txt"',
            'rmdir "moved dir ü"',
            "rmdir second",
            "rmdir second",
            "cd second",
            "rename missing.txt other.txt",
        ])
        # Non-empty rmdir, second delete, second rmdir, cd and RNFR of missing names: 550.
        self.assert_clean(out, err, allowed=("550 ",))
        self.assertEqual(re.findall(r"^(\d{3}) ", out, re.M)[4:-1],
                         ["550", "250", "550", "250", "250", "550", "550", "550"],
                         out)
        self.assertEqual(os.listdir(base), [])
        self.assertIn("RMD moved dir ü", mark.commands())

    # -- globs ------------------------------------------------------------------------------

    def test_mput_mget_mdelete_globs(self):
        d = self.fresh_dir("globs")
        work = self.workdir()
        up = work / "up"
        up.mkdir()
        files = {"g1.txt": b"one\n", "g2.txt": b"two\n", "sp ace.txt": b"space\n",
                 "other.bin": b"\x00\x01"}
        for name, data in files.items():
            (up / name).write_bytes(data)
        out, err, mark = self.ftp(["cd globs", "mput *.txt"], cwd=up)
        self.assert_clean(out, err)
        self.assertEqual(sorted(os.listdir(d)), ["g1.txt", "g2.txt", "sp ace.txt"])
        for name in ("g1.txt", "g2.txt", "sp ace.txt"):
            self.assertEqual((d / name).read_bytes(), files[name])
        self.assertEqual(sorted(c for c in mark.commands() if c.startswith("STOR")),
                         ["STOR g1.txt", "STOR g2.txt", "STOR sp ace.txt"])

        (d / "sub").mkdir()
        for name in ("s1.txt", "s 2.txt", "s3.dat"):
            (d / "sub" / name).write_bytes(name.encode() * 100)
        down = work / "down"
        # mget of `sub/*.txt` writes into the local directory sub/, which must exist.
        (down / "sub").mkdir(parents=True)
        out, err, mark = self.ftp(["cd globs", "mget *.txt", "mget sub/*.txt",
                                   "nlist sub/*.txt", "nlist *.none"], cwd=down)
        self.assert_clean(out, err)
        self.assertEqual(sorted(os.listdir(down)), ["g1.txt", "g2.txt", "sp ace.txt", "sub"])
        for name in ("g1.txt", "g2.txt", "sp ace.txt"):
            self.assertEqual((down / name).read_bytes(), files[name])
        self.assertEqual(sorted(os.listdir(down / "sub")), ["s 2.txt", "s1.txt"])
        self.assertEqual((down / "sub" / "s1.txt").read_bytes(), b"s1.txt" * 100)
        commands = mark.commands()
        self.assertEqual(commands.count("NLST *.txt"), 1, commands)
        self.assertEqual(commands.count("NLST sub/*.txt"), 2, commands)
        self.assertIn("RETR sub/s 2.txt", commands)
        self.assertIn("local: sub/s1.txt remote: sub/s1.txt", out)
        listings = re.findall(r"\n150 Here comes the directory listing\.\n((?:[^\n]*\n)*?)226 ",
                              out)
        # The server's names keep the directory the client wrote; a pattern that matches
        # nothing is an empty listing (as the server's own tests say).
        self.assertEqual([sorted(l.splitlines()) for l in listings],
                         [["sub/s 2.txt", "sub/s1.txt"], []], out)

        out, err, mark = self.ftp(["cd globs", "mdelete *.txt", "mdelete sub/*.dat"])
        self.assert_clean(out, err)
        self.assertEqual(os.listdir(d), ["sub"])
        self.assertEqual(sorted(os.listdir(d / "sub")), ["s 2.txt", "s1.txt"])
        self.assertEqual(sorted(c for c in mark.commands() if c.startswith("DELE")),
                         ["DELE g1.txt", "DELE g2.txt", "DELE sp ace.txt", "DELE sub/s3.dat"])

    # -- resume -----------------------------------------------------------------------------

    def test_reget_restart_and_append(self):
        d = self.fresh_dir("resume")
        work = self.workdir()
        data = random.Random(300).randbytes(400_000)
        (d / "big.bin").write_bytes(data)
        (work / "part.bin").write_bytes(data[:123_457])
        (work / "part2.bin").write_bytes(data[:50_000])
        (work / "full.bin").write_bytes(data)
        (d / "up.bin").write_bytes(data[:100_000])
        (work / "tail.bin").write_bytes(b"appended tail")
        (d / "log.txt").write_bytes(b"head|")
        out, err, mark = self.ftp([
            "binary",
            "cd resume",
            "reget big.bin part.bin",
            "restart 50000",
            "get big.bin part2.bin",
            "restart 100000",
            "put full.bin up.bin",
            "append tail.bin log.txt",
            "append tail.bin new-by-append.txt",
        ])
        self.assert_clean(out, err)
        self.assertIn("350 Restarting at 123457.", out)
        self.assertIn("276543 bytes received", out)
        self.assertEqual(sha256_file(work / "part.bin"), sha256_bytes(data))
        self.assertIn("350 Restarting at 50000.", out)
        self.assertEqual(sha256_file(work / "part2.bin"), sha256_bytes(data))
        self.assertIn("350 Restarting at 100000.", out)
        self.assertIn("300000 bytes sent", out)
        self.assertEqual(sha256_file(d / "up.bin"), sha256_bytes(data))
        self.assertEqual((d / "log.txt").read_bytes(), b"head|appended tail")
        self.assertEqual((d / "new-by-append.txt").read_bytes(), b"appended tail")
        commands = mark.commands()
        for seq in (["REST 123457", "RETR big.bin"], ["REST 50000", "RETR big.bin"],
                    ["REST 100000", "STOR up.bin"]):
            i = commands.index(seq[0])
            # Only data-connection set-up may come between REST and the transfer.
            between = [c for c in commands[i + 1:commands.index(seq[1], i)]
                       if not c.startswith(("EPSV", "PASV", "TYPE"))]
            self.assertEqual(between, [], commands)
        self.assertIn("APPE log.txt", commands)

    def test_restart_put_over_shorter_active(self):
        # The same upload resume in active mode, with PORT.
        d = self.fresh_dir("resume-act")
        work = self.workdir()
        data = random.Random(301).randbytes(150_000)
        (d / "r.bin").write_bytes(data[:70_001])
        (work / "r.bin").write_bytes(data)
        out, err, mark = self.ftp(["passive off", "epsv4 off", "binary", "cd resume-act",
                                   "restart 70001", "put r.bin"])
        self.assert_clean(out, err)
        self.assertEqual(sha256_file(d / "r.bin"), sha256_bytes(data))
        self.assertIn("79999 bytes sent", out)
        self.assertIn("REST 70001", mark.commands())

    # -- types, sizes, times ----------------------------------------------------------------

    def test_ascii_and_binary_types(self):
        d = self.fresh_dir("types")
        work = self.workdir()
        (work / "lf.txt").write_bytes(b"one\ntwo\n\nthree\n")
        (d / "server-lf.txt").write_bytes(b"alpha\nbeta\n")
        out, err, _ = self.ftp([
            "cd types", "ascii", "put lf.txt", "get server-lf.txt ascii-got.txt",
            "binary", "get lf.txt binary-got.txt",
        ])
        self.assert_clean(out, err)
        self.assertIn("200 Type set to ASCII", out)
        self.assertIn("200 Type set to Binary", out)
        # On the wire CRLF (15 bytes with four LFs became 19); on disk LF again.
        self.assertIn("\n19 bytes sent", out)
        self.assertIn("\n13 bytes received", out)
        self.assertEqual((d / "lf.txt").read_bytes(), b"one\ntwo\n\nthree\n")
        self.assertEqual((work / "ascii-got.txt").read_bytes(), b"alpha\nbeta\n")
        self.assertEqual((work / "binary-got.txt").read_bytes(), b"one\ntwo\n\nthree\n")

    def test_size_modtime_and_preserved_time(self):
        d = self.fresh_dir("times")
        (d / "t.bin").write_bytes(b"z" * 777)
        stamp = calendar.timegm((2020, 1, 2, 3, 4, 5))
        os.utime(d / "t.bin", (stamp, stamp))
        work = self.workdir()
        out, err, mark = self.ftp(["cd times", "size t.bin", "modtime t.bin", "get t.bin",
                                   "size missing.bin", "get missing.bin", "mlst t.bin",
                                   "mlsd"])
        self.assert_clean(out, err, allowed=("550 ",))
        self.assertIn("t.bin\t777\n", out)
        self.assertIn("t.bin\tThu, 02 Jan 2020 03:04:05 +0000\n", out)
        # tnftp sets the local file's time from MDTM.
        self.assertEqual(int((work / "t.bin").stat().st_mtime), stamp)
        self.assertEqual((work / "t.bin").read_bytes(), b"z" * 777)
        self.assertEqual(len(re.findall(r"^550 ", out, re.M)), 2, out)
        self.assertFalse((work / "missing.bin").exists())
        self.assertRegex(out, r"\n250-[^\n]*\n type=file;size=777;modify=20200102030405[^\n]*; "
                              r"/times/t\.bin\n250 ")
        self.assertRegex(out, r"\ntype=file;size=777;modify=20200102030405;[^\n]*; t\.bin\n")
        self.assertIn("MDTM t.bin", mark.commands())


# ---------------------------------------------------------------------------------- rclone


class RcloneMixin:
    """rclone with an on-the-fly `:ftp,...:` remote and an empty config file of its own."""

    remote_options = ""
    port_attr = "port"

    @classmethod
    def setup_rclone(cls):
        cls.rclone_home = cls.tmp / "rclone-home"
        cls.rclone_home.mkdir()
        cls.rclone_config = cls.rclone_home / "rclone.conf"
        cls.rclone_config.write_text("")
        env = client_env(cls.rclone_home)
        out = run_cmd(["rclone", "--config", str(cls.rclone_config), "obscure", PASSWORD],
                      env=env).stdout.decode().strip()
        if not re.fullmatch(r"[A-Za-z0-9_-]+", out):
            raise AssertionError(f"unexpected `rclone obscure` output: {out!r}")
        cls.obscured = out

    def remote(self, path="", extra=""):
        port = getattr(self, self.port_attr)
        opts = f"host=127.0.0.1,port={port},user=alice,pass={self.obscured}"
        for o in (self.remote_options, extra):
            if o:
                opts += "," + o
        return f":ftp,{opts}:/{path.lstrip('/')}"

    def rclone(self, *args, check=True, timeout=CMD_TIMEOUT):
        """Runs rclone without retries (every operation must work the first time)."""
        cmd = ["rclone", "--config", str(self.rclone_config), "--retries", "1",
               "--low-level-retries", "1", "--contimeout", "10s", "--timeout", "30s",
               "--cache-dir", str(self.rclone_home / "cache")] + list(args)
        return run_cmd(cmd, env=client_env(self.rclone_home), timeout=timeout, check=check,
                       server=self.server)

    def assert_same_tree(self, expected, actual_root, what):
        assert_same_tree(self, expected, actual_root, what)

    def assert_same_mtimes(self, expected_root, actual_root, what):
        exp, got = tree_mtimes(expected_root), tree_mtimes(actual_root)
        wrong = sorted(f"{p}: {exp[p]} != {got.get(p)}" for p in exp if got.get(p) != exp[p])
        self.assertEqual(wrong[:20], [], f"{what}: {len(wrong)} files with other times")

    def copy_tree_both_ways(self, name, count=50, seed=1, extra=""):
        """copy up (with empty directories), compare on disk; copy down, compare; returns
        (source dir, snapshot, LogMark of the whole exchange)."""
        src = self.client_dir / f"{name}-src"
        src.mkdir()
        snapshot = make_tree(src, count, seed=seed, max_size=64 * 1024)
        self.assertEqual(len(snapshot[0]), count)
        mark = LogMark(self.server)
        self.rclone("copy", "--create-empty-src-dirs", str(src), self.remote(name, extra))
        self.assert_same_tree(snapshot, self.home / name, "rclone copy (upload)")
        down = self.client_dir / f"{name}-down"
        self.rclone("copy", "--create-empty-src-dirs", self.remote(name, extra), str(down))
        self.assert_same_tree(snapshot, down, "rclone copy (download)")
        return src, snapshot, mark


class RcloneTests(RcloneMixin, ServerTestCase):
    """rclone against a plain FTP server."""

    @classmethod
    def setUpClass(cls):
        require_tool("rclone")
        super().setUpClass()
        cls.setup_rclone()

    def test_copy_tree_lsf_check_and_back(self):
        src, snapshot, mark = self.copy_tree_both_ways("tree", count=50, seed=50)
        # rclone sets each uploaded file's time (MFMT) and each downloaded one's (MLSD).
        self.assert_same_mtimes(src, self.home / "tree", "rclone copy (upload)")
        self.assert_same_mtimes(src, self.client_dir / "tree-down", "rclone copy (download)")
        self.assertTrue(any(c.startswith("MFMT ") for c in mark.commands()))

        # lsf -R lists exactly the tree: files, and directories with a trailing slash.
        listed = self.rclone("lsf", "-R", self.remote("tree")).stdout.decode("utf-8")
        files, dirs = snapshot
        expected = set(files) | {d + "/" for d in dirs}
        self.assertEqual(sorted(set(listed.splitlines()) ^ expected), [])
        self.assertEqual(len(listed.splitlines()), len(expected))

        # check: by size, and by downloading every file and comparing the bytes.
        proc = self.rclone("check", "--size-only", "--combined", "-", str(src),
                           self.remote("tree"))
        report = proc.stdout.decode("utf-8").splitlines()
        self.assertEqual(sorted(report), sorted(f"= {p}" for p in files))
        proc = self.rclone("check", "--download", str(src), self.remote("tree"))
        self.assertIn("0 differences found", proc.stderr.decode("utf-8"))
        self.assertIn(f"{len(files)} matching files", proc.stderr.decode("utf-8"))

        # A second copy finds nothing to do: no upload at all.
        mark = LogMark(self.server)
        self.rclone("copy", "--create-empty-src-dirs", str(src), self.remote("tree"))
        self.assertEqual([c for c in mark.commands() if c.startswith(("STOR", "APPE"))], [])

        # check notices a changed size and a missing file.
        victim = sorted(p for p in files if os.path.getsize(src / p) > 0)[0]
        gone = sorted(files)[-1]
        (self.home / "tree" / victim).write_bytes(b"changed")
        (self.home / "tree" / gone).unlink()
        proc = self.rclone("check", "--size-only", "--combined", "-", str(src),
                           self.remote("tree"), check=False)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        report = set(proc.stdout.decode("utf-8").splitlines())
        self.assertIn(f"* {victim}", report)
        self.assertIn(f"+ {gone}", report)

    def test_copyto_cat_offset_rcat(self):
        work = self.client_dir / "single"
        work.mkdir()
        data = random.Random(60).randbytes(3 * 1024 * 1024 + 17)
        (work / "big file ü.bin").write_bytes(data)
        self.rclone("copyto", str(work / "big file ü.bin"), self.remote("single/big ü.bin"))
        self.assertEqual(sha256_file(self.home / "single" / "big ü.bin"), sha256_bytes(data))
        self.rclone("copyto", self.remote("single/big ü.bin"), str(work / "back.bin"))
        self.assertEqual(sha256_file(work / "back.bin"), sha256_bytes(data))
        # cat with --offset resumes with REST; with --count it closes the data connection.
        mark = LogMark(self.server)
        out = self.rclone("cat", "--offset", "3000000", self.remote("single/big ü.bin")).stdout
        self.assertEqual(out, data[3_000_000:])
        self.assertIn("REST 3000000", mark.commands())
        out = self.rclone("cat", "--offset", "100", "--count", "5",
                          self.remote("single/big ü.bin")).stdout
        self.assertEqual(out, data[100:105])
        # rcat streams standard input to a file (a STOR of unknown size).
        proc = run_cmd(["rclone", "--config", str(self.rclone_config), "rcat",
                        self.remote("single/from stdin.txt")], input=b"streamed\n" * 1000,
                       env=client_env(self.rclone_home), server=self.server)
        self.assertEqual(proc.returncode, 0)
        self.assertEqual((self.home / "single" / "from stdin.txt").read_bytes(),
                         b"streamed\n" * 1000)

    def test_moveto_deletefile(self):
        d = self.fresh_dir("moves")
        (d / "a.txt").write_bytes(b"to be renamed\n")
        mark = LogMark(self.server)
        self.rclone("moveto", self.remote("moves/a.txt"), self.remote("moves/renamed ü.txt"))
        self.assertEqual(os.listdir(d), ["renamed ü.txt"])
        # Into a directory that does not exist yet.
        self.rclone("moveto", self.remote("moves/renamed ü.txt"),
                    self.remote("moves/new dir/x/moved.txt"))
        self.assertEqual((d / "new dir" / "x" / "moved.txt").read_bytes(), b"to be renamed\n")
        self.assertFalse((d / "renamed ü.txt").exists())
        commands = mark.commands()
        # A server-side rename, not a download and upload.
        self.assertEqual([c for c in commands if c.startswith(("RNFR", "RNTO"))],
                         ["RNFR /moves/a.txt", "RNTO /moves/renamed ü.txt",
                          "RNFR /moves/renamed ü.txt", "RNTO /moves/new dir/x/moved.txt"])
        self.assertEqual([c for c in commands if c.startswith(("RETR", "STOR"))], [])
        self.rclone("deletefile", self.remote("moves/new dir/x/moved.txt"))
        self.assertEqual(os.listdir(d / "new dir" / "x"), [])
        proc = self.rclone("deletefile", self.remote("moves/new dir/x/moved.txt"), check=False)
        self.assertNotEqual(proc.returncode, 0)

    def test_mkdir_rmdir_purge(self):
        self.rclone("mkdir", self.remote("made/deep er/ü"))
        self.assertTrue((self.home / "made" / "deep er" / "ü").is_dir())
        self.rclone("rmdir", self.remote("made/deep er/ü"))
        self.assertFalse((self.home / "made" / "deep er" / "ü").exists())
        self.assertTrue((self.home / "made" / "deep er").is_dir())
        # rmdir of a directory that is not empty fails and leaves it alone.
        (self.home / "made" / "deep er" / "keep.txt").write_bytes(b"k")
        proc = self.rclone("rmdir", self.remote("made/deep er"), check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertTrue((self.home / "made" / "deep er" / "keep.txt").is_file())
        # purge removes a whole tree.
        src = self.client_dir / "purge-src"
        src.mkdir()
        make_tree(src, 20, seed=70, max_size=4096)
        self.rclone("copy", "--create-empty-src-dirs", str(src), self.remote("made/purge me"))
        self.assertEqual(len(tree_snapshot(self.home / "made" / "purge me")[0]), 20)
        self.rclone("purge", self.remote("made/purge me"))
        self.assertFalse((self.home / "made" / "purge me").exists())
        self.rclone("purge", self.remote("made"))
        self.assertFalse((self.home / "made").exists())
        self.assertEqual(self.rclone("lsf", self.remote("")).stdout.decode().count("made/"), 0)


class RcloneFtpsReuseRequiredTests(RcloneMixin, FtpsTestCase):
    """rclone (Go crypto/tls) against FTPS with the default `--tls-session-reuse required`.

    rclone keeps one TLS session cache (tls_cache_size, 32 by default) for all its
    connections, keyed by the host name, so with one control connection every data connection
    resumes that connection's session."""

    self_signed = True
    implicit = True
    remote_options = "explicit_tls=true,no_check_certificate=true"

    @classmethod
    def setUpClass(cls):
        require_tool("rclone")
        super().setUpClass()
        cls.setup_rclone()

    def assert_no_refused_data_connection(self, mark, what):
        text = mark.text()
        refused = len(re.findall(r"reply code=522", text))
        self.assertEqual(refused, 0, f"{what}: {refused} data connections refused with 522 "
                                     "(TLS session not resumed); server log tail:\n"
                                     + "\n".join(text.splitlines()[-30:]))

    def test_copy_one_connection(self):
        _, _, mark = self.copy_tree_both_ways("one-conn", seed=80, extra="concurrency=1")
        self.assert_no_refused_data_connection(mark, "concurrency=1")
        commands = mark.commands()
        self.assertIn("AUTH TLS", commands)
        self.assertIn("PROT P", commands)
        self.assertEqual(len(re.findall(r"login ok", mark.text())), 2,
                         "one control connection for each of the two copies")

    def test_copy_one_connection_tls12(self):
        _, _, mark = self.copy_tree_both_ways("one-conn-12", seed=81,
                                              extra="concurrency=1,disable_tls13=true")
        self.assert_no_refused_data_connection(mark, "concurrency=1, TLS 1.2")
        self.assertIn("PROT P", mark.commands())

    def test_copy_implicit_one_connection(self):
        self.port_attr = "implicit_port"
        self.remote_options = "tls=true,no_check_certificate=true"
        _, _, mark = self.copy_tree_both_ways("implicit", count=20, seed=82,
                                              extra="concurrency=1")
        self.assert_no_refused_data_connection(mark, "implicit, concurrency=1")
        commands = mark.commands()
        self.assertNotIn("AUTH TLS", commands)
        self.assertIn("PROT P", commands)

    def test_copy_default_settings(self):
        # rclone's defaults: several control connections at once (--transfers 4, --checkers
        # 8), all sharing one TLS session cache.
        _, _, mark = self.copy_tree_both_ways("default", seed=83)
        self.assert_no_refused_data_connection(mark, "rclone defaults")
        self.assertGreater(len(re.findall(r"login ok", mark.text())), 2,
                           "rclone used only one control connection per copy")


class RcloneFtpsReuseOptionalTests(RcloneMixin, FtpsTestCase):
    """rclone with its default settings against `--tls-session-reuse optional`."""

    self_signed = True
    session_reuse = "optional"
    remote_options = "explicit_tls=true,no_check_certificate=true"

    @classmethod
    def setUpClass(cls):
        require_tool("rclone")
        super().setUpClass()
        cls.setup_rclone()

    def test_copy_default_settings(self):
        _, snapshot, mark = self.copy_tree_both_ways("optional", seed=84)
        commands = mark.commands()
        self.assertIn("AUTH TLS", commands)
        self.assertIn("PROT P", commands)
        proc = self.rclone("check", "--size-only", "--combined", "-",
                           str(self.client_dir / "optional-src"), self.remote("optional"))
        self.assertEqual(sorted(proc.stdout.decode("utf-8").splitlines()),
                         sorted(f"= {p}" for p in snapshot[0]))
        self.assertNotIn("reply code=522", mark.text())


if __name__ == "__main__":
    unittest.main(verbosity=2)
