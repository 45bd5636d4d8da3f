//! The English pages of the reply-code guide (see [`super`]).
//!
//! In `when` and `fix`, each line (`\n`) is one situation or one step; the first line of
//! `when` is the most common case and is quoted by comparisons.

use super::{Page, PairNote};

/// One page per catalogue code, sorted by code.
pub(super) const PAGES: &[Page] = &[
    Page {
        code: 110,
        title: "Restart marker",
        description:
            "A preliminary reply sent while a file is transferred in block or compressed mode \
                (MODE B or MODE C). Its text has a fixed form, \"MARK yyyy = mmmm\", pairing the \
                client's marker yyyy with the server's marker mmmm, so that a broken transfer \
                can later be resumed from the last marker with REST.",
        when: "During a transfer in block or compressed mode, once per marker the sender inserted \
                into the data.\n\
                ferroftp transfers in stream mode only (MODE S), so it never sends 110.",
        fix: "Nothing to fix: it is progress information. A client that may need to resume keeps \
                the last marker pair.\n\
                In stream mode, resume with REST and a byte offset instead (RFC 3659), in binary \
                mode (TYPE I).",
    },
    Page {
        code: 120,
        title: "Service ready in nnn minutes",
        description:
            "The server accepted the TCP connection but is not ready to serve yet; the text says \
                in how many minutes it expects to be. A 220 follows when it is ready, and the \
                client should wait for it rather than send commands.",
        when: "Right after connecting, or after REIN, to a server that is starting up or under \
                maintenance.\n\
                ferroftp does not send 120: it greets with 220 at once, or refuses with 421 when \
                it cannot serve.",
        fix: "Wait for the 220 that follows, or reconnect after the time given.\n\
                If the client gives up before the 220 arrives, raise its connection or greeting \
                timeout.",
    },
    Page {
        code: 125,
        title: "Data connection already open; transfer starting",
        description:
            "A preliminary reply to a transfer command: a data connection was already open, and \
                the transfer starts on it now. The final reply (226, or an error such as 426 or \
                451) comes on the control connection when the data has been sent.",
        when: "After RETR, STOR, APPE, STOU, LIST, NLST or MLSD when the data connection was \
                established before the command arrived, for example when the client connected to \
                the passive port first.\n\
                ferroftp answers every transfer with 150 instead; both mean the same to a client.",
        fix: "Nothing to fix. Wait for the final reply before sending the next command; only \
                ABOR, STAT and NOOP are answered while a transfer runs.",
    },
    Page {
        code: 150,
        title: "File status okay; about to open data connection",
        description:
            "A preliminary reply to a transfer command: the checks passed (the file exists, the \
                user may read or write it) and the server is about to open the data connection, \
                or to accept it in passive mode. The data flows next; the final reply (226 or an \
                error) follows when it ends.",
        when: "After RETR, STOR, APPE, STOU, LIST, NLST or MLSD: it is the normal first reply to \
                every transfer.\n\
                A transfer that hangs right after 150 points to the data connection, not to the \
                file.",
        fix: "Nothing to fix in itself.\n\
                If nothing arrives after 150 in passive mode, a firewall blocks the passive \
                ports: open the server's whole passive range (ferroftp --passive-ports) and \
                check the address in the 227 reply (ferroftp --passive-address behind NAT).\n\
                In active mode (PORT/EPRT), the client's own firewall or NAT blocks the server's \
                connection back: switch the client to passive mode.",
    },
    Page {
        code: 200,
        title: "Command okay",
        description:
            "The command succeeded. It is the reply to commands that change a setting and have \
                nothing else to report: TYPE, MODE, STRU, PORT, EPRT, PBSZ, PROT, OPTS and NOOP.",
        when: "After a setting command was accepted, for example after TYPE I, PBSZ 0 or PROT P, \
                or after PORT or EPRT set the address of an active-mode data connection.\n\
                After NOOP, which clients send to keep an idle session alive (ferroftp: \"200 \
                NOOP ok.\").",
        fix: "Nothing to fix: send the next command.",
    },
    Page {
        code: 202,
        title: "Command not implemented, superfluous at this site",
        description:
            "The command is understood but not needed on this server, so nothing was done. It \
                counts as success: the client can go on as if the command had worked.",
        when: "After ACCT when the server does not use accounts (ferroftp: \"202 ACCT not needed \
                on this server.\").\n\
                After ALLO when space need not be reserved before an upload (ferroftp: \"202 No \
                storage allocation necessary.\").\n\
                After a SITE command that has nothing to do on this server.",
        fix: "Nothing to fix. A script that checks for exactly 200 should accept any 2yz reply.",
    },
    Page {
        code: 211,
        title: "System status, or system help reply",
        description:
            "A status or help reply, usually several lines long. STAT without an argument \
                reports the session: user, transfer type and mode, the data connection, or the \
                progress of a running transfer. FEAT lists the extensions the server supports \
                between a first line \"211-\" and a last line \"211 End\".",
        when: "After FEAT, which most clients send right after connecting or logging in.\n\
                After STAT with no argument, also during a transfer.\n\
                After HELP, on some servers (ferroftp answers HELP with 214).",
        fix: "Nothing to fix. If a client misreads the feature list, check that it handles \
                multi-line replies: a line with the code and a dash opens the reply, a line with \
                the same code and a space closes it.",
    },
    Page {
        code: 212,
        title: "Directory status",
        description:
            "The status of a directory, sent over the control connection: a listing in the \
                format of LIST, without a data connection.",
        when: "After STAT with a directory as its argument, for example \"STAT /pub\".",
        fix: "Nothing to fix. STAT with a path lists a directory even when data connections are \
                blocked, which helps to tell a data connection problem (see 425) from a \
                permission problem.",
    },
    Page {
        code: 213,
        title: "File status",
        description:
            "The status of one file, on the control connection. SIZE answers \"213 <bytes>\", \
                MDTM answers \"213 YYYYMMDDHHMMSS\" in UTC, MFMT confirms the new modification \
                time, and STAT with a file argument gives the file's listing line.",
        when: "After SIZE, MDTM or MFMT on an existing plain file, or STAT on a file.",
        fix: "Nothing to fix. SIZE reports the stored size: in ASCII mode (TYPE A) the number of \
                bytes sent can differ, since line endings are converted, so compare sizes in \
                binary mode (TYPE I).\n\
                MDTM times are UTC, not the server's local time.",
    },
    Page {
        code: 214,
        title: "Help message",
        description:
            "Help text for a person: the commands the server knows, or how to use one of them. \
                Its wording is not standard, so programs should not parse it.",
        when: "After HELP, or HELP with a command name (ferroftp: \"214 RETR is supported.\").",
        fix: "Nothing to fix. To find out in a program which extensions a server supports, send \
                FEAT rather than HELP.",
    },
    Page {
        code: 215,
        title: "NAME system type",
        description:
            "The server's operating system type, as a name from the IANA list of system names, \
                often followed by details. \"UNIX Type: L8\" stands for a Unix-like system with \
                8-bit bytes and tells clients to expect Unix-style LIST output.",
        when: "After SYST; many clients send it right after login to choose how to parse \
                listings.\n\
                ferroftp always answers \"215 UNIX Type: L8\", whatever the host system, because \
                its listings are in Unix format.",
        fix: "Nothing to fix. If a client misparses listings, let it use MLSD (machine-readable \
                facts, RFC 3659) instead of LIST.",
    },
    Page {
        code: 220,
        title: "Service ready for new user",
        description:
            "The server is ready for a login. It is the greeting sent as soon as a client \
                connects; the next step is USER, or first AUTH TLS to encrypt the session, or \
                HOST to choose a virtual host. The same code answers REIN (the session is reset \
                to its state just after connecting) and a successful HOST.",
        when: "Right after the TCP connection to the control port is made.\n\
                After REIN, which logs the user out and keeps the connection.\n\
                After HOST naming a virtual host the server serves (RFC 7151; ferroftp: \"220 \
                Host accepted.\").",
        fix: "Nothing to fix: it means success.\n\
                If no 220 ever arrives after connecting, the problem is below FTP: a wrong host \
                or port, a firewall dropping the connection, a server that expects TLS at once \
                (implicit FTPS, usually port 990) reached with plain FTP, or a server at its \
                connection limit (see 421).",
    },
    Page {
        code: 221,
        title: "Service closing control connection",
        description:
            "The server closes the control connection because the client asked it to: the \
                session ended normally. A user who was logged in is logged out.",
        when: "After QUIT. If a transfer is running, the 221 comes after the transfer's own final \
                reply.",
        fix: "Nothing to fix. If a session ends with 221 earlier than expected, find out what \
                sent QUIT: a script or client that stops too soon.",
    },
    Page {
        code: 225,
        title: "Data connection open; no transfer in progress",
        description:
            "The data connection is open but idle: nothing is being transferred. ABOR gets this \
                reply when there was nothing to abort. In block mode a server can also use it to \
                keep the data connection open between transfers.",
        when: "After ABOR when no transfer was running (ferroftp: \"225 No transfer to abort.\"), \
                typically because the transfer ended just before the ABOR arrived.",
        fix: "Nothing to fix: the session is fine. A client that sends ABOR just as a transfer \
                ends merely crossed the 226 on the way.",
    },
    Page {
        code: 226,
        title: "Closing data connection",
        description:
            "The transfer or listing is complete and the server has closed the data connection: \
                the whole file or listing was sent or received. After ABOR, 226 confirms that \
                the abort was handled (it follows the 426 of the aborted transfer).",
        when: "At the end of every successful RETR, STOR, APPE, STOU, LIST, NLST and MLSD.\n\
                After ABOR, following the 426 for the transfer it stopped.",
        fix: "Nothing to fix.\n\
                If a file arrives changed although 226 was sent, check the transfer type: ASCII \
                mode (TYPE A) converts line endings, so send TYPE I for binary files such as \
                archives and images.",
    },
    Page {
        code: 227,
        title: "Entering Passive Mode",
        description:
            "The server opened a port for the data connection and waits for the client to \
                connect to it. The text holds the address as six numbers h1,h2,h3,h4,p1,p2: the \
                IPv4 address h1.h2.h3.h4 and the port p1 × 256 + p2.",
        when: "After PASV on an IPv4 control connection.\n\
                On an IPv6 connection PASV cannot describe the address; ferroftp answers 425 and \
                asks for EPSV.",
        fix: "If the client then fails to connect to the data port, check the address in the \
                reply: a server behind NAT must announce its public address (ferroftp \
                --passive-address 203.0.113.7), or the client must ignore the address (many \
                clients have such an option).\n\
                Open the whole passive port range (ferroftp --passive-ports 50000-50100) in \
                every firewall on the way and forward it through NAT to the server.\n\
                Prefer EPSV: its 229 reply carries only a port, so a wrong address cannot break \
                it, and it works over IPv6.",
    },
    Page {
        code: 228,
        title: "Entering Long Passive Mode",
        description:
            "The reply to LPSV (RFC 1639), an old way of asking for passive mode with addresses \
                of any length, such as IPv6. The text lists the address family, the length and \
                bytes of the address, and the length and bytes of the port.",
        when: "Only from servers that implement LPSV, in reply to it. ferroftp does not implement \
                LPSV and answers it with 502.",
        fix: "Use EPSV (RFC 2428) instead: it works for IPv4 and IPv6 and almost every server \
                supports it.",
    },
    Page {
        code: 229,
        title: "Entering Extended Passive Mode",
        description:
            "The server opened a port for the data connection. The text gives only the port, as \
                (|||port|); the client connects to the same address it used for the control \
                connection. This is why EPSV works over IPv6 and through NAT without extra \
                settings.",
        when: "After EPSV (or EPSV 1 for IPv4, EPSV 2 for IPv6).",
        fix: "Nothing to fix in itself.\n\
                If connecting to the port then fails, a firewall blocks it: open the server's \
                passive range (ferroftp --passive-ports) in every firewall on the way and \
                forward it through NAT to the server.",
    },
    Page {
        code: 230,
        title: "User logged in, proceed",
        description:
            "The login succeeded: the session may now use every command that the account's \
                permissions allow.",
        when: "After PASS with the right password (ferroftp: \"230 Login successful.\").\n\
                After USER alone when the account needs no password.\n\
                After ACCT, on servers that ask for an account.",
        fix: "Nothing to fix. If later commands fail with 550, the account's permissions or its \
                home directory are the issue (see 550).",
    },
    Page {
        code: 232,
        title: "User logged in, authorized by security data exchange",
        description: "RFC 2228 uses 232 for a login that needs no password: the security \
                exchange (AUTH with a mechanism such as Kerberos, then ADAT) already proved who \
                the user is, so USER alone logs them in. Some code lists also give 232 the \
                unofficial meaning \"logout noted, will complete when the transfer is done\".",
        when: "After USER on a session secured with a mechanism that identifies the user. \
                ferroftp never sends it: its only mechanism is TLS, and a TLS login still needs \
                PASS (331, then 230).",
        fix: "Nothing to fix: go on as after 230.",
    },
    Page {
        code: 234,
        title: "Security data exchange complete",
        description:
            "The server accepted the security mechanism named by AUTH. With AUTH TLS (RFC 4217) \
                it means: start the TLS handshake now, on the control connection. Every later \
                command and reply travels inside TLS.",
        when: "After AUTH TLS (or the older AUTH SSL) on a server that has TLS configured.",
        fix: "Nothing to fix. The next steps are PBSZ 0 and PROT P (encrypted data connections) \
                or PROT C (clear ones) before the first transfer, then USER and PASS.\n\
                If the handshake fails right after 234, check the server's certificate (expired, \
                wrong name, missing chain) and the TLS versions both sides allow.",
    },
    Page {
        code: 235,
        title: "Security data exchange completed successfully",
        description:
            "The ADAT exchange of a security mechanism such as GSSAPI (Kerberos) is finished and \
                the client is authenticated; the text can carry final security data \
                (ADAT=base64).",
        when: "After the last ADAT of a mechanism other than TLS. TLS does not use ADAT, so FTPS \
                clients never see 235; ferroftp does not implement ADAT.",
        fix: "Nothing to fix. Go on with USER, then PBSZ and PROT if data connections must be \
                protected.",
    },
    Page {
        code: 250,
        title: "Requested file action okay, completed",
        description: "A file or directory operation that needs no data connection succeeded.",
        when: "After CWD or CDUP (the directory changed), DELE (file deleted), RMD (directory \
                removed), RNTO (rename done), MFMT on some servers, or MLST (the facts of one \
                file, sent on the control connection).",
        fix: "Nothing to fix. Send PWD to see the current directory after CWD.",
    },
    Page {
        code: 257,
        title: "\"PATHNAME\" created",
        description:
            "The reply carries a path name in double quotes: the current directory after PWD, or \
                the directory just made after MKD. A double quote inside the name is written \
                twice.",
        when: "After PWD, for example 257 \"/pub\" is the current directory.\n\
                After MKD, naming the new directory.",
        fix: "Nothing to fix. Clients must read the path between the first and the last double \
                quote; a name containing \"\" stands for one \" character.",
    },
    Page {
        code: 331,
        title: "User name okay, need password",
        description:
            "The user name was received and the server waits for the password. It does not say \
                that the account exists: servers answer 331 to unknown names too, so that nobody \
                can probe which accounts exist.",
        when: "After USER, whether or not the account exists.",
        fix: "Send PASS with the password next.\n\
                If PASS then fails with 530, the user name may be wrong as well as the password.",
    },
    Page {
        code: 332,
        title: "Need account for login",
        description:
            "The server needs an account (ACCT) besides the user name and the password before it \
                lets the user in. Accounts are a billing or resource feature of older systems.",
        when:
            "After USER or PASS on servers that require ACCT. ferroftp never asks for an account.",
        fix: "Send ACCT with the account your administrator gave you.",
    },
    Page {
        code: 334,
        title: "Security mechanism accepted, security data required",
        description:
            "The server accepted the mechanism named by AUTH and expects the client to continue \
                the exchange with ADAT; the text may already carry security data (ADAT=base64).",
        when: "After AUTH with a mechanism that uses ADAT, such as GSSAPI.\n\
                Some old servers send 334 to AUTH TLS, where RFC 4217 calls for 234.",
        fix: "Continue with ADAT as the mechanism requires.\n\
                If you meant to use TLS, send AUTH TLS; with a server that answers AUTH TLS with \
                334, the client may need a compatibility setting.",
    },
    Page {
        code: 335,
        title: "Security data accepted, more required",
        description:
            "The data sent with ADAT was accepted, but the exchange is not finished yet; the \
                text may carry data for the client's next ADAT.",
        when: "During a security exchange with several ADAT steps (GSSAPI, Kerberos).",
        fix: "Send the next ADAT, built by the client's security library from the data in this \
                reply.",
    },
    Page {
        code: 336,
        title: "Username okay, need password; challenge follows",
        description:
            "Like 331, but the text carries a challenge, for one-time password systems such as \
                S/KEY or OTP: the password to send is computed from it.",
        when: "After USER on servers that use challenge-response passwords.",
        fix: "Compute the response to the challenge with your one-time password tool, and send it \
                with PASS.",
    },
    Page {
        code: 350,
        title: "Requested file action pending further information",
        description:
            "The first half of a two-command action was accepted and the server waits for the \
                second: RNFR was accepted and RNTO must follow, or REST was accepted and RETR, \
                STOR or APPE will start at the given offset.",
        when:
            "After RNFR naming an existing file or directory (ferroftp: \"350 File exists, ready \
                for destination name: send RNTO.\").\n\
                After REST with a valid offset (ferroftp: \"350 Restarting at N. Send RETR, STOR \
                or APPE to resume.\").",
        fix: "Send the second command next: RNTO right after RNFR, since any other command in \
                between cancels the rename and RNTO then gets 503.\n\
                After REST, send RETR, STOR or APPE; ferroftp keeps the offset across commands \
                that only prepare a transfer (TYPE, PASV, EPSV, PORT, EPRT, SIZE, MDTM), and any \
                other command clears it.",
    },
    Page {
        code: 421,
        title: "Service not available, closing control connection",
        description:
            "The server is closing the control connection. It can answer any command, or come on \
                connect, whenever the server decides to end the session: a connection limit, an \
                idle timeout, or a shutdown.",
        when: "On connect, when the server is at its connection limit (ferroftp: \"421 Too many \
                connections: try again later.\", --max-connections), or at the per-address limit \
                (--max-connections-per-ip).\n\
                After the session sat idle longer than the idle timeout (ferroftp: \"421 \
                Timeout: closing control connection.\", --idle-timeout, 600 seconds by \
                default).\n\
                When a connection has not logged in within the login timeout, however much it \
                sent meanwhile (ferroftp: \"421 Login timeout: closing control connection.\", \
                --login-timeout, 60 seconds by default).\n\
                When the server is shutting down or restarting (ferroftp: \"421 Server shutting \
                down: closing control connection.\").\n\
                On connect, or at PASS, from an address banned after too many failed logins \
                (ferroftp: \"421 Too many failed logins from your address: try again later.\", \
                --ban-after-failures within --ban-window, for --ban-duration); at PASS after the \
                last failed login one connection may make (\"421 Too many failed logins: closing \
                control connection.\", --max-login-failures); at PASS when too many logins wait \
                for a password check (\"421 Too many logins in progress: try again later.\", \
                --max-concurrent-hashes, --login-queue-timeout).",
        fix: "Reconnect. For limits, try again later, or close the client's other sessions: \
                clients that open many parallel connections hit the per-address limit first.\n\
                For idle timeouts, let the client send NOOP now and then, or raise the server's \
                idle timeout.\n\
                Administrators: raise --max-connections or --max-connections-per-ip if \
                legitimate clients hit them, and restart servers when no transfers run.",
    },
    Page {
        code: 425,
        title: "Can't open data connection",
        description:
            "The server could not set up the data connection that a transfer or listing needs, \
                so the command did not run and nothing was transferred. The control connection \
                stays open.",
        when: "After RETR, STOR, APPE, STOU, LIST, NLST or MLSD when no PASV, EPSV, PORT or EPRT \
                came first (ferroftp: \"425 Use PORT, PASV, EPSV or EPRT first.\").\n\
                When the client did not connect to the passive port in time (ferroftp: \
                --data-timeout, 30 seconds by default), usually because a firewall or NAT \
                blocked it, or when the server could not connect to the address given by PORT or \
                EPRT.\n\
                A connection to the passive port from another address than the client's is \
                closed at once, and ferroftp goes on waiting for the client's own connection.\n\
                After PASV or EPSV when every passive port stayed busy for --passive-wait (2 \
                seconds by default) (ferroftp: \"425 Can't open passive connection: no passive \
                port free: try again.\"), or when the client's address already holds \
                --max-passive-per-ip passive ports nobody has connected to yet (ferroftp: \"425 \
                Can't open passive connection: too many waiting from your address, use the ones \
                you have.\").\n\
                After PASV or EPSV, or a transfer over PORT or EPRT, while the whole server \
                already runs --max-transfers data connections (ferroftp: \"425 Can't open data \
                connection: the server has too many transfers at once, try again shortly.\"); \
                the client may retry a moment later.\n\
                After PASV on an IPv6 connection (ferroftp: \"425 PASV needs IPv4: use EPSV on \
                IPv6 connections.\").",
        fix: "Send PASV or EPSV (or PORT/EPRT) before each transfer command; clients in passive \
                mode do this themselves.\n\
                Passive mode through a firewall: open the server's passive port range (ferroftp \
                --passive-ports 50000-50100) as well as the control port, and forward that range \
                through NAT to the server.\n\
                Behind NAT, make the PASV reply carry the public address (ferroftp \
                --passive-address), or let the client use EPSV.\n\
                Active mode (PORT/EPRT) rarely works when the client is behind NAT or a \
                firewall: switch the client to passive mode.\n\
                Administrators: when clients hit the transfer cap, raise --max-transfers along \
                with the open-files limit (ulimit -n, LimitNOFILE=): each data connection costs \
                three descriptors.",
    },
    Page {
        code: 426,
        title: "Connection closed; transfer aborted",
        description:
            "The data connection was open, but the transfer did not finish: it was aborted, or \
                the connection broke in the middle. Part of the data may have been transferred.",
        when: "After ABOR during a transfer; a 226 follows to confirm the abort.\n\
                When the client, a firewall, a NAT device or the network closed the data \
                connection during the transfer (ferroftp: \"426 Data connection closed: transfer \
                aborted.\").\n\
                ferroftp discards a partly uploaded file (\"426 Data connection lost: upload \
                discarded.\"), except for APPE and resumed uploads (REST then STOR), which keep \
                what was written.\n\
                Under PROT P, an upload whose TLS data connection ended without a close_notify \
                may have been cut short by someone on the path: ferroftp discards it (\"426 Data \
                connection closed without TLS close_notify: upload discarded as truncated.\") \
                unless --tls-upload-requires-close-notify false is set.\n\
                When the data connection moved no byte for the stall timeout: the client \
                stopped reading a download or listing, or stopped sending an upload (ferroftp: \
                \"426 No data moved for too long: transfer aborted.\", --stall-timeout, 60 \
                seconds by default); a partial upload is discarded and the old file kept.",
        fix: "A 426 after ABOR is expected: nothing to fix.\n\
                Otherwise retry the transfer; to resume a large download, send TYPE I, then REST \
                with the number of bytes already received, then RETR.\n\
                If it breaks again and again, look for a firewall or NAT device that drops long \
                or idle data connections, or an unstable network.",
    },
    Page {
        code: 431,
        title: "Need some unavailable resource to process security",
        description:
            "The server cannot process the security request now because something it needs is \
                missing, such as a key, a ticket or a certificate service. It is transient: the \
                same request may work later.",
        when: "After AUTH or ADAT (RFC 2228) when the server's security setup is incomplete or a \
                service it depends on is down.",
        fix: "Retry later.\n\
                If it persists, administrators should check the server's keys, certificates and \
                mechanism configuration, and the services they depend on.",
    },
    Page {
        code: 450,
        title: "Requested file action not taken; file unavailable",
        description:
            "The file action was not done because the file is busy or briefly unavailable, for \
                example locked by another process. It is transient: the same command may succeed \
                later.",
        when: "After RETR, STOR, APPE, DELE, RNFR, RNTO, LIST or MLSD when the file is locked, \
                still being written, or on storage that is briefly unavailable.",
        fix: "Retry after a short wait.\n\
                If it never clears, find what holds the file: another upload, a backup, or a \
                virus scanner.",
    },
    Page {
        code: 451,
        title: "Requested action aborted: local error in processing",
        description:
            "The server hit an error of its own, such as a disk I/O error or a storage failure, \
                while carrying out the command. It is transient: a retry may work. The details \
                are in the server's log, not in the reply.",
        when: "After any file command (RETR, STOR, APPE, DELE, MKD, RMD, RNTO, LIST, MLSD) when \
                the storage fails in an unexpected way (ferroftp: \"451 Local error in \
                processing.\").\n\
                ferroftp also sends it when an upload could not be saved, and then discards the \
                partial file, or when STOU found no free name.",
        fix: "Retry the command.\n\
                If it repeats, administrators should read the server log, which records the \
                storage error, and check the disk, the file system and the storage backend.\n\
                Users: report the time and the command to the administrator.",
    },
    Page {
        code: 452,
        title: "Requested action not taken; insufficient storage space",
        description:
            "There is not enough space on the server to store the file. It is transient: space \
                may become free later.",
        when: "After STOR, APPE, STOU or MKD when the server's disk is full or the file system \
                quota of the user is used up (ferroftp: \"452 Insufficient storage space.\").",
        fix: "Delete files you no longer need on the server, or ask the administrator for more \
                space, then retry.\n\
                To avoid sending everything again, resume the upload with REST and STOR, or \
                APPE, if the client supports it.",
    },
    Page {
        code: 500,
        title: "Syntax error, command unrecognized",
        description:
            "The server could not read the command line at all: an unknown word, a garbled line, \
                or a line that is too long.",
        when: "After a line longer than the server's limit (ferroftp: 4096 bytes, \"500 Command \
                line too long.\").\n\
                When something that is not FTP reaches the control port, such as a web browser's \
                HTTP request (ferroftp answers 500 and closes the connection).\n\
                After an unknown command, on some servers; ferroftp answers unknown commands \
                with 502.",
        fix: "Check that the client speaks plain FTP to this port: not HTTP, SFTP (SSH, port 22) \
                or implicit FTPS (port 990).\n\
                Check the command's spelling, and shorten very long path names.\n\
                If a client sends commands the server does not know, turn that feature off in \
                the client.",
    },
    Page {
        code: 501,
        title: "Syntax error in parameters or arguments",
        description: "The command was recognized, but its argument is missing or malformed.",
        when: "A command that needs an argument sent without one, such as RETR or CWD alone \
                (ferroftp: \"501 Syntax error: this command needs an argument.\").\n\
                A malformed argument: PORT with numbers out of range, EPRT with a bad field, \
                REST with something other than a number, an unknown OPTS option, MFMT with a bad \
                time, or MLSD on a file instead of a directory.\n\
                LIST or NLST with a shell pattern over 256 bytes or with more than 32 wildcards \
                (ferroftp: \"501 Pattern too long or too complex: at most 256 bytes and 32 \
                wildcards.\").\n\
                PORT or EPRT naming a host other than the client: ferroftp refuses such FTP \
                bounce requests unless --allow-foreign-data-address is set.\n\
                PORT or EPRT naming a port below 1024 (RFC 2577; ferroftp: \"501 PORT/EPRT to a \
                port below 1024 refused: use a port from 1024 up.\").\n\
                A line that is not valid UTF-8 (ferroftp: \"501 Command is not valid UTF-8.\").",
        fix: "Check the argument against the command's syntax in the RFC, or with HELP.\n\
                For PORT and EPRT trouble behind NAT, use passive mode (PASV or EPSV) instead.\n\
                Send file names in UTF-8 (RFC 2640): set the client's character set to UTF-8.",
    },
    Page {
        code: 502,
        title: "Command not implemented",
        description: "The server does not implement this command.",
        when: "After a command ferroftp does not support or does not know, such as SMNT, LPSV, \
                ADAT or a typing error (ferroftp: \"502 Unknown command X.\").\n\
                After AUTH TLS when TLS is not configured on the server (ferroftp: \"502 TLS is \
                not configured on this server.\").",
        fix: "Use a supported alternative: FEAT lists the server's extensions and HELP its \
                commands.\n\
                In the client, turn off the feature that sends the command.\n\
                For TLS, ask the administrator to configure a certificate, or connect without \
                AUTH TLS only on a network you trust.",
    },
    Page {
        code: 503,
        title: "Bad sequence of commands",
        description:
            "The command is valid, but not at this point of the session: another command has to \
                come first. The RFCs define several sequences of two or three commands, and a \
                command sent out of order gets 503. ferroftp's reply text names the command to \
                send first.",
        when:
            "PASS without USER right before it: send USER, then PASS (ferroftp: \"503 Login with \
                USER first.\").\n\
                RNTO not right after a successful RNFR: send RNFR, then RNTO, with nothing in \
                between (\"503 RNFR required first.\").\n\
                PBSZ before AUTH TLS, or PROT before PBSZ: the order is AUTH TLS, then PBSZ 0, \
                then PROT P (\"503 Send AUTH TLS first.\", \"503 Send PBSZ 0 first.\").\n\
                PASV, PORT or EPRT after EPSV ALL: from then on only EPSV may set up the data \
                connection for RETR, STOR or LIST (\"503 EPSV ALL is in effect: use EPSV.\").\n\
                RETR, STOR or LIST without PASV or EPSV (or PORT/EPRT) before it: many servers \
                answer 503; ferroftp answers 425.\n\
                REST not followed by RETR or STOR: some servers answer 503; ferroftp drops the \
                offset when another command comes between.\n\
                HOST after USER or after login: HOST must come before USER (RFC 7151; \"503 HOST \
                must be sent before USER.\").\n\
                USER or PASS while already logged in, or AUTH on an already encrypted \
                connection.\n\
                A command sent while a transfer runs: some servers answer 503; ferroftp answers \
                it when the transfer ends (NOOP, STAT and ABOR at once).",
        fix: "Read the reply text: it names the command to send first.\n\
                Send each sequence in order: USER → PASS; RNFR → RNTO; PASV or EPSV → RETR, STOR \
                or LIST (one per transfer); AUTH TLS → PBSZ 0 → PROT P; REST → RETR or STOR; \
                HOST → USER → PASS.\n\
                Send nothing else inside a sequence: even a NOOP between RNFR and RNTO cancels \
                the rename.\n\
                To log in as someone else, send REIN first (ferroftp allows USER while logged in \
                only with --allow-user-switch).\n\
                If a client sends commands in the wrong order, update it or change the setting \
                that triggers it, such as its HOST or explicit TLS option.",
    },
    Page {
        code: 504,
        title: "Command not implemented for that parameter",
        description:
            "The command and its syntax are fine, but the server does not support the value \
                given.",
        when:
            "TYPE, MODE or STRU with a value the server does not support: ferroftp supports TYPE \
                A and I (and L 8), MODE S and STRU F.\n\
                REST with an offset other than 0 in ASCII mode (ferroftp: \"504 REST is not \
                supported in ASCII mode: send TYPE I first.\").\n\
                AUTH with a mechanism other than TLS or SSL (\"504 Unsupported security \
                mechanism: use AUTH TLS.\").\n\
                HOST naming a virtual host the server does not serve (\"504 Unknown virtual \
                host.\").",
        fix: "Use a supported value: TYPE I for binary files, MODE S, STRU F; send TYPE I before \
                REST; use AUTH TLS.\n\
                For HOST, use one of the names the server is configured with (ferroftp --host), \
                or leave HOST out.",
    },
    Page {
        code: 521,
        title: "Data connection cannot be opened with this PROT setting",
        description:
            "The server refuses to open a data connection at the current data protection level: \
                its policy requires encrypted data connections (PROT P) and the client left them \
                in clear (PROT C), or the other way round.",
        when: "After RETR, STOR, LIST or another transfer command on an FTPS session whose PROT \
                level the server's policy does not allow.\n\
                Some servers also use 521 for MKD on a directory that already exists; that use \
                is not standard.",
        fix: "Send PBSZ 0 and PROT P after AUTH TLS, before the first transfer; in client \
                settings this is \"encrypt data connections\" or \"require explicit FTP over \
                TLS\".\n\
                If the client cannot use TLS on data connections, the administrator must allow \
                PROT C.",
    },
    Page {
        code: 522,
        title: "Network protocol not supported",
        description:
            "EPRT or EPSV named a network protocol the server does not support here. The reply \
                lists those it supports in parentheses: (1,2) means IPv4 and IPv6.",
        when: "After EPRT or EPSV with a protocol number other than 1 (IPv4) or 2 (IPv6) \
                (ferroftp: \"522 Network protocol not supported, use (1,2).\").\n\
                Some servers (vsftpd) also send 522 at a transfer when the TLS handshake on the \
                data connection fails, for example when they require TLS session reuse and the \
                client does not reuse the session.",
        fix: "Use EPRT |1|... or EPSV 1 for IPv4, and |2| or EPSV 2 for IPv6, as the reply lists; \
                plain EPSV without an argument lets the server use the protocol of the control \
                connection.\n\
                For TLS session reuse, use a client that reuses the control connection's TLS \
                session on data connections (current FileZilla, lftp and curl do), or ask the \
                administrator to relax the requirement.",
    },
    Page {
        code: 530,
        title: "Not logged in",
        description: "The command needs a logged-in user, or the login attempt failed.",
        when: "After PASS with a wrong user name or password (ferroftp: \"530 Login incorrect.\", \
                sent after a short delay that slows down password guessing).\n\
                Any command that needs a login (CWD, LIST, RETR...) sent before logging in \
                (\"530 Please login with USER and PASS.\").\n\
                Anonymous login (USER anonymous or ftp) on a server that does not allow it: \
                ferroftp allows it only with --anonymous-root.\n\
                On servers that require TLS, USER or PASS sent on a plain connection, before \
                AUTH TLS.\n\
                A correct password for an account whose home directory is missing (ferroftp: \
                \"530 Login failed: home directory not available.\").",
        fix: "Check the user name and password: both are case-sensitive, and scripts often add a \
                space or line break. Administrators reset a password with ferroftp user passwd \
                NAME.\n\
                Log in with USER and PASS before any other command.\n\
                For anonymous access the server must enable it (ferroftp --anonymous-root DIR).\n\
                If the server requires FTPS, turn on explicit TLS (AUTH TLS) in the client.\n\
                If the home directory is missing, the administrator must create it or correct \
                the path in the users file.\n\
                With a right password, a user already at --max-sessions-per-user gets \"530 Too \
                many sessions for this user: close one and try again.\": close another session \
                of that user first.",
    },
    Page {
        code: 532,
        title: "Need account for storing files",
        description:
            "Login worked, but the server needs an account (ACCT) before it lets the user store \
                files.",
        when:
            "After STOR, APPE or STOU on servers that charge storage to accounts. ferroftp never \
                asks for an account.",
        fix: "Send ACCT with your account, then retry the upload.",
    },
    Page {
        code: 533,
        title: "Command protection level denied for policy reasons",
        description:
            "The server refused a command because of how it was protected: the policy demands \
                commands protected by the security mechanism (MIC, CONF, ENC, or inside TLS) and \
                this one was sent in clear, or the reverse.",
        when:
            "On servers that require protected commands (RFC 2228), after a command sent without \
                that protection.",
        fix: "Use the protection the server requires: with TLS, send AUTH TLS before USER and \
                keep the control connection encrypted (do not send CCC).",
    },
    Page {
        code: 534,
        title: "Request denied for policy reasons",
        description:
            "The server's security policy forbids what was asked, usually something about TLS. \
                It is permanent: asking again the same way will not help.",
        when:
            "After CCC when the server does not allow the control connection to go back to clear \
                text (ferroftp: \"534 CCC refused: the control connection stays encrypted.\").\n\
                After USER or PASS in clear on servers that require FTPS, or after AUTH TLS on \
                servers that forbid it.\n\
                After PROT C on servers that require encrypted data connections; others answer \
                521 at the transfer instead.",
        fix: "Follow the policy: keep TLS on and do not send CCC; turn on explicit TLS in the \
                client when the server requires it; use PROT P when encrypted data is required.\n\
                CCC is mostly used so that a NAT device can read PASV replies; use EPSV instead, \
                which needs no such help.",
    },
    Page {
        code: 535,
        title: "Failed security check",
        description:
            "A protected command failed its security check: the MIC, CONF or ENC wrapper did not \
                verify (bad checksum, replayed or reordered message), or the security data in \
                ADAT was rejected.",
        when: "After ADAT, MIC, CONF or ENC with a mechanism other than TLS; TLS reports such \
                failures by breaking the connection instead.",
        fix: "Reconnect and start the security exchange again.\n\
                If it repeats, check the clocks of both machines (Kerberos refuses skewed \
                clocks), the keys and the client's security library.",
    },
    Page {
        code: 536,
        title: "Requested PROT level not supported by mechanism",
        description:
            "The PROT level asked for is not supported by the security mechanism in use. The \
                levels are C (clear), S (safe: integrity only), E (confidential) and P (private: \
                integrity and confidentiality); TLS provides only C and P.",
        when:
            "After PROT S or PROT E on a TLS session (ferroftp: \"536 Only PROT C and PROT P are \
                supported.\").",
        fix: "Send PROT P for encrypted data connections, or PROT C for clear ones.",
    },
    Page {
        code: 537,
        title: "Command protection level not supported by security mechanism",
        description:
            "The command was protected at a level (MIC for integrity, CONF for confidentiality, \
                ENC for both) that the security mechanism in use cannot provide.",
        when: "After MIC, CONF or ENC with a mechanism that lacks that level.",
        fix: "Protect commands at a level the mechanism supports, usually MIC or ENC. TLS uses \
                none of these commands.",
    },
    Page {
        code: 550,
        title: "Requested action not taken; file unavailable",
        description:
            "The action was not done, and repeating it unchanged will not help: the file or \
                directory does not exist, the user may not access it, or the operation is not \
                possible on it. The text usually says which.",
        when: "RETR, SIZE, MDTM, DELE, RNFR, CWD or RMD on a path that does not exist (ferroftp: \
                \"550 No such file or directory.\").\n\
                An account without the permission for the operation, such as a read-only user's \
                STOR, DELE or MKD (\"550 Permission denied.\").\n\
                A path that leads outside the user's root, such as a symbolic link pointing \
                elsewhere on the server: ferroftp refuses it.\n\
                MKD on an existing name (\"550 File exists.\"), RMD on a directory that is not \
                empty, DELE on a directory (\"550 Is a directory: use RMD.\"), RETR on a \
                directory, RMD or RNFR on the root.\n\
                RNTO to another storage device, or SIZE and MDTM on a directory.\n\
                SITE CHMOD on the root, which would lock the account out (ferroftp: \"550 The \
                permissions of the root directory cannot be changed.\"), or by an anonymous user \
                unless the administrator allows it (anonymous_chmod).",
        fix: "Check the path: list the directory with LIST or MLSD, mind upper and lower case, \
                and remember that relative paths start at the current directory (PWD) and that / \
                is the user's home, not the server's root.\n\
                For permission errors, the administrator grants permissions in the users file \
                (read_only = false, or permissions = [\"list\", \"read\", \"write\", \"delete\", \
                \"rename\", \"mkdir\"]), and the server process itself must be allowed to read \
                and write the files on disk.\n\
                Files reached through a symbolic link out of the user's home cannot be served: \
                copy or bind-mount them into the home instead.\n\
                Use RMD for directories and DELE for files, and empty a directory before RMD.",
    },
    Page {
        code: 551,
        title: "Requested action aborted: page type unknown",
        description:
            "The page type of a page-structured file (STRU P) is unknown to the server. Page \
                structure was made for old systems and is almost never used.",
        when: "After a transfer with STRU P on a server that supports page structure. ferroftp \
                supports only file structure (STRU F), so it never sends 551.",
        fix: "Use STRU F, the default, which every server supports.",
    },
    Page {
        code: 552,
        title: "Requested file action aborted; exceeded storage allocation",
        description:
            "The upload went over the space allowed: a quota or a file size limit for this user \
                or directory. Unlike 452 it is permanent for this request.",
        when:
            "During or after STOR, APPE or STOU when the file grows beyond the user's allocation \
                or the largest file allowed (ferroftp: \"552 Exceeded storage allocation.\", \
                when the system reports the file too large).",
        fix: "Upload a smaller file, or split it into parts.\n\
                Delete files to free part of the allocation, or ask the administrator to raise \
                the quota or the file size limit.",
    },
    Page {
        code: 553,
        title: "Requested action not taken; file name not allowed",
        description: "The name given for a new file or directory is not acceptable to the server.",
        when:
            "STOR, APPE, MKD or RNTO with a name that is empty or contains a NUL byte (ferroftp: \
                \"553 File name not allowed.\"), or characters the server's file system \
                rejects.\n\
                STOR to a name that is already a directory (ferroftp: \"553 A directory has that \
                name.\").\n\
                A name starting with .ferroftp-upload., which ferroftp keeps for its temporary \
                upload files.",
        fix: "Choose a plain name: no control characters, none of the characters the server's \
                file system forbids (for example : * ? \" < > | on Windows), and not too long.\n\
                To upload into a directory, change into it (CWD) or put the file name after the \
                directory name.",
    },
    Page {
        code: 554,
        title: "Requested action not taken: invalid REST parameter",
        description: "The restart offset set with REST cannot be used for this transfer: \
                most often it lies beyond the end of the file.",
        when: "RETR after REST with an offset larger than the file (the file changed, or the \
                client kept a stale offset).\n\
                STOR after REST with an offset beyond the end of the partial file on the server \
                (ferroftp refuses rather than fill the gap with zeros).",
        fix: "Ask for the file's size first (SIZE) and resume from at most that offset, or \
                send REST 0 (or no REST) to transfer the whole file again. For an upload, resume \
                from the size the server reports for the partial file.",
    },
    Page {
        code: 555,
        title: "Requested action not taken: type or stru mismatch",
        description: "The restart offset was set in one transfer type or structure and the \
                transfer runs in another, so the offset does not mean the same bytes.",
        when: "REST followed by a transfer after switching TYPE (ASCII and binary count bytes \
                differently). ferroftp refuses REST in ASCII mode with 504 instead, so it never \
                sends 555.",
        fix: "Send TYPE I before REST and the transfer, and resume binary transfers only.",
    },
    Page {
        code: 631,
        title: "Integrity protected reply",
        description:
            "A reply protected for integrity by the security mechanism (RFC 2228): the text is \
                the base64 encoding of the real reply together with an integrity check. The \
                client's security layer decodes it and acts on the reply inside.",
        when: "After commands sent with MIC, on sessions that use a mechanism such as GSSAPI. TLS \
                never uses 63z replies, and ferroftp does not send them.",
        fix: "Nothing to fix: a client that supports the mechanism decodes it. To read one found \
                in a log, decode the base64 text with the session's security context.",
    },
    Page {
        code: 632,
        title: "Confidentiality and integrity protected reply",
        description:
            "A reply both encrypted and integrity-protected by the security mechanism (RFC \
                2228): the text is the base64 encoding of the protected real reply.",
        when: "After commands sent with ENC, on sessions that use a mechanism such as GSSAPI. \
                ferroftp does not send it.",
        fix: "Nothing to fix: the client's security layer decrypts it and acts on the reply \
                inside.",
    },
    Page {
        code: 633,
        title: "Confidentiality protected reply",
        description:
            "A reply encrypted by the security mechanism (RFC 2228) without a separate integrity \
                check: the text is the base64 encoding of the encrypted real reply.",
        when: "After commands sent with CONF, on sessions that use a mechanism such as GSSAPI. \
                ferroftp does not send it.",
        fix: "Nothing to fix: the client's security layer decrypts it and acts on the reply \
                inside.",
    },
];

/// Notes on pairs of codes that are often confused.
pub(super) const PAIRS: &[PairNote] = &[
    PairNote {
        a: 125,
        b: 150,
        difference:
            "125 and 150 both announce a transfer: 125 says the data connection was already \
                open, 150 that the server is about to open or accept it.",
        when_which:
            "Expect 150 before almost every transfer; 125 only when the data connection existed \
                before the command, and only from servers that report it.",
    },
    PairNote {
        a: 200,
        b: 202,
        difference:
            "200 means the command did something and succeeded; 202 means it was not needed, so \
                nothing was done, which is still a success.",
        when_which:
            "Expect 200 after TYPE, PORT, NOOP and other settings; 202 after ACCT or ALLO on \
                servers that need neither.",
    },
    PairNote {
        a: 220,
        b: 421,
        difference:
            "220 greets a client the server is ready to serve; 421 refuses or ends a session and \
                closes the connection.",
        when_which:
            "On connect, expect 220 when the server has room, and 421 when it is at a connection \
                limit or shutting down.",
    },
    PairNote {
        a: 221,
        b: 421,
        difference:
            "221 ends the session because the client sent QUIT; 421 ends it because the server \
                decided to (limit, idle timeout, shutdown).",
        when_which: "Expect 221 only after QUIT; 421 can come at any time.",
    },
    PairNote {
        a: 225,
        b: 226,
        difference:
            "225 says the data connection is open with no transfer running; 226 says a transfer \
                finished and the data connection was closed.",
        when_which:
            "Expect 226 at the end of every transfer and after an ABOR that stopped one; 225 \
                after ABOR when there was nothing to abort.",
    },
    PairNote {
        a: 226,
        b: 250,
        difference:
            "226 ends an action that used a data connection (a transfer or listing); 250 ends a \
                file action done on the control connection alone.",
        when_which:
            "Expect 226 after RETR, STOR, LIST, NLST and MLSD; 250 after CWD, DELE, RMD, RNTO \
                and MLST.",
    },
    PairNote {
        a: 227,
        b: 229,
        difference:
            "227 (PASV) gives an IPv4 address and a port; 229 (EPSV) gives only a port, on the \
                address of the control connection.",
        when_which: "Expect 227 after PASV and 229 after EPSV; prefer EPSV behind NAT and on IPv6.",
    },
    PairNote {
        a: 234,
        b: 334,
        difference:
            "234 means the security exchange is complete (for TLS: start the handshake); 334 \
                means the mechanism was accepted and ADAT data must follow.",
        when_which:
            "Expect 234 after AUTH TLS; 334 after AUTH with mechanisms that use ADAT, such as \
                GSSAPI.",
    },
    PairNote {
        a: 331,
        b: 332,
        difference: "331 asks for a password (PASS); 332 asks for an account (ACCT).",
        when_which:
            "Expect 331 after USER on nearly every server; 332 only on servers that bill to \
                accounts.",
    },
    PairNote {
        a: 425,
        b: 426,
        difference: "425 means the data connection could not be opened at all, so nothing was \
                transferred; 426 means it was open and then broke or was aborted, so part of the \
                data may have moved.",
        when_which:
            "Expect 425 right after the transfer command or its 150; 426 in the middle of a \
                transfer, or after ABOR.",
    },
    PairNote {
        a: 450,
        b: 550,
        difference: "450 is temporary (the file is busy or locked) and a retry may work; 550 is \
                permanent (missing file, no permission) and the request must change.",
        when_which:
            "Expect 450 when another process holds the file; 550 when the path is wrong or the \
                account lacks the right.",
    },
    PairNote {
        a: 452,
        b: 552,
        difference:
            "452 means the server's storage is full, which may change; 552 means the upload \
                exceeded the user's quota or a size limit, which will not change for this \
                request.",
        when_which:
            "Expect 452 when the disk fills up; 552 when one user's allocation or the file size \
                limit is reached.",
    },
    PairNote {
        a: 500,
        b: 501,
        difference: "500 means the command itself was not understood; 501 means the command was \
                understood but its argument is missing or wrong.",
        when_which: "Expect 500 for garbled or overlong lines; 501 for a known command with a bad \
                argument.",
    },
    PairNote {
        a: 500,
        b: 502,
        difference:
            "500 means the line could not be read as a command; 502 means the command is not \
                implemented.",
        when_which:
            "Expect 500 for overlong or non-FTP lines; 502 for commands the server does not \
                implement (ferroftp also uses 502 for unknown commands).",
    },
    PairNote {
        a: 501,
        b: 504,
        difference: "501 means the argument is malformed or missing; 504 means the argument is \
                well-formed but its value is not supported.",
        when_which: "Expect 501 for PORT 1,2,3 or RETR without a name; 504 for TYPE E or AUTH \
                KERBEROS_V4 on a server that lacks them.",
    },
    PairNote {
        a: 502,
        b: 504,
        difference:
            "502 means the command is not implemented at all; 504 means it is implemented, but \
                not for that parameter.",
        when_which: "Expect 502 for LPSV or SMNT on ferroftp; 504 for MODE B or STRU R, which are \
                implemented only for their usual values.",
    },
    PairNote {
        a: 503,
        b: 530,
        difference:
            "503 means a command came out of order and the reply names what to send first; 530 \
                means the session is not logged in, or the login failed.",
        when_which:
            "Expect 530 when a command needs a login, or when the user name or password is \
                wrong; 503 when the steps themselves are out of order, such as PASS without USER \
                or RNTO without RNFR.",
    },
    PairNote {
        a: 530,
        b: 534,
        difference:
            "530 is about the login: not logged in, or wrong credentials; 534 is about security \
                policy, such as TLS being required or CCC refused.",
        when_which:
            "Expect 530 for wrong passwords and commands before login; 534 when the request \
                breaks the server's TLS policy.",
    },
    PairNote {
        a: 550,
        b: 553,
        difference:
            "550 is about an existing path: missing, not allowed, or the wrong kind of entry; \
                553 is about the name itself, which the server will not accept for a new file.",
        when_which:
            "Expect 550 when reading, deleting or changing into paths; 553 when creating a file \
                or directory under an unacceptable name.",
    },
];
