/**
 * A private Postfix and Dovecot for the MTA tests, each with its own configuration in a temporary folder
 * and listening on a free loopback port; nothing of the system's mail setup is used or changed.
 *
 * Postfix accepts mail for customers.test (gone@ and ok@) and bounce.test (bounces@ and unsubscribe@,
 * with `+` as the recipient delimiter: bounces+<token>@ lands in bounces@). gone@ is accepted at RCPT
 * and fails at delivery (a pipe that exits EX_NOUSER), so Postfix itself writes the DSN and sends it to
 * the envelope sender; everything for bounce.test is delivered to one Maildir, which Dovecot serves over
 * IMAP to the passwd-file user `bounces`. Both need root (Postfix's own users, a fixed mailbox uid).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { eventually } from "../delivery/support.js";

const run = promisify(execFile);
/** The owner of the Maildirs: Postfix's virtual agent writes as it, Dovecot reads as it. */
const MAIL_UID = 65534;
export const IMAP_USER = "bounces";
export const IMAP_PASSWORD = "mta-test-password";

export interface MailServers {
  dir: string;
  smtpPort: number;
  imapPort: number;
  /** The bounce mailbox's Maildir (INBOX; folders are .Name.Sub beside it). */
  maildir: string;
  /** Files in a Maildir folder ("" = INBOX), new and cur. */
  messagesIn(folder: string): string[];
  /** Postfix's log, for a failing test's message. */
  log(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function which(binary: string): string {
  for (const dir of ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]) {
    if (existsSync(path.join(dir, binary))) return path.join(dir, binary);
  }
  throw new Error(
    `${binary} is not installed: the MTA tests need Debian's postfix and dovecot-imapd (see .ci/run)`,
  );
}

export async function startMailServers(): Promise<MailServers> {
  const postfix = which("postfix");
  const dovecot = which("dovecot");
  if (process.getuid?.() !== 0) throw new Error("The MTA tests run Postfix and Dovecot as root");
  const dir = mkdtempSync(path.join(tmpdir(), "postpilot-mta-"));
  chmodSync(dir, 0o755);
  const [smtpPort, imapPort] = [await freePort(), await freePort()];
  const etc = path.join(dir, "postfix");
  const mail = path.join(dir, "mail");
  const maildir = path.join(mail, "bounce");
  for (const d of [etc, path.join(dir, "queue"), path.join(dir, "data"), mail, path.join(dir, "dovecot")])
    mkdirSync(d, { recursive: true });
  chownSync(path.join(dir, "data"), Number((await run("id", ["-u", "postfix"])).stdout.trim()), 0);
  chownSync(mail, MAIL_UID, MAIL_UID);

  writeFileSync(
    path.join(etc, "main.cf"),
    `compatibility_level = 3.6
queue_directory = ${dir}/queue
data_directory = ${dir}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = ${dir}
maillog_file = ${dir}/maillog
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mta.postpilot.test
mydomain = postpilot.test
myorigin = postpilot.test
mydestination =
mynetworks = 127.0.0.0/8
relay_domains =
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
recipient_delimiter = +
virtual_mailbox_domains = customers.test, bounce.test
virtual_mailbox_maps = texthash:${etc}/mailboxes
virtual_mailbox_base = ${mail}
virtual_uid_maps = static:${MAIL_UID}
virtual_gid_maps = static:${MAIL_UID}
virtual_minimum_uid = 100
transport_maps = texthash:${etc}/transport
alias_maps =
alias_database =
smtp_dns_support_level = disabled
biff = no
delay_warning_time = 0
`,
  );
  writeFileSync(
    path.join(etc, "mailboxes"),
    "gone@customers.test customers/gone/\nok@customers.test customers/ok/\n" +
      "bounces@bounce.test bounce/\nunsubscribe@bounce.test bounce/\n",
  );
  writeFileSync(path.join(etc, "transport"), "gone@customers.test gonebox:\n");
  const master = readFileSync("/etc/postfix/master.cf", "utf8").replace(
    /^smtp\s+inet\s.*$/m,
    `127.0.0.1:${smtpPort} inet n - n - - smtpd`,
  );
  writeFileSync(
    path.join(etc, "master.cf"),
    `${master}
gonebox   unix  -       n       n       -       -       pipe
  flags=q user=nobody argv=/bin/sh -c { echo "Mailbox gone (PostPilot MTA test)"; exit 67 }
`,
  );

  const dc = path.join(dir, "dovecot");
  writeFileSync(
    path.join(dc, "users"),
    `${IMAP_USER}:{PLAIN}${IMAP_PASSWORD}:${MAIL_UID}:${MAIL_UID}::${dc}/home::userdb_mail=maildir:${maildir}\n`,
    { mode: 0o644 },
  );
  writeFileSync(
    path.join(dc, "dovecot.conf"),
    `base_dir = ${dc}/run
state_dir = ${dc}/state
log_path = ${dc}/dovecot.log
instance_name = postpilot-mta-${imapPort}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = ${dc}/users
}
userdb {
  driver = passwd-file
  args = ${dc}/users
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${imapPort}
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
`,
  );

  const log = () => (existsSync(`${dir}/maillog`) ? readFileSync(`${dir}/maillog`, "utf8") : "");
  let dovecotProcess: ChildProcess | null = null;
  let postfixStarted = false;
  const stop = async () => {
    if (postfixStarted) {
      await run(postfix, ["-c", etc, "stop"]).catch(() => {});
      const pidFile = path.join(dir, "queue", "pid", "master.pid");
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").trim()) : 0;
      if (pid > 0) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {}
      }
    }
    if (dovecotProcess && dovecotProcess.exitCode === null) {
      const exited = new Promise((resolve) => dovecotProcess?.once("exit", resolve));
      dovecotProcess.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
      if (dovecotProcess.exitCode === null) dovecotProcess.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await run(postfix, ["-c", etc, "check"]).catch((error: Error) => {
      throw new Error(`postfix check failed: ${error.message}\n${log()}`);
    });
    await run(postfix, ["-c", etc, "start"]).catch((error: Error) => {
      throw new Error(`postfix start failed: ${error.message}\n${log()}`);
    });
    postfixStarted = true;
    dovecotProcess = spawn(dovecot, ["-F", "-c", path.join(dc, "dovecot.conf")], { stdio: "pipe" });
    let dovecotOutput = "";
    dovecotProcess.stdout?.on("data", (d) => (dovecotOutput += d));
    dovecotProcess.stderr?.on("data", (d) => (dovecotOutput += d));
    await Promise.all([
      listening(smtpPort, () => `Postfix is not listening:\n${log()}`),
      listening(imapPort, () => `Dovecot is not listening:\n${dovecotOutput}`),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    dir,
    smtpPort,
    imapPort,
    maildir,
    messagesIn(folder) {
      const base = folder === "" ? maildir : path.join(maildir, `.${folder.split("/").join(".")}`);
      return ["new", "cur"].flatMap((sub) => {
        const d = path.join(base, sub);
        return existsSync(d) ? readdirSync(d).map((f) => path.join(d, f)) : [];
      });
    },
    log,
    stop,
  };
}

async function listening(port: number, why: () => string): Promise<void> {
  const { connect } = await import("node:net");
  try {
    await eventually(
      () =>
        new Promise<boolean>((resolve) => {
          const socket = connect(port, "127.0.0.1");
          socket.once("connect", () => {
            socket.destroy();
            resolve(true);
          });
          socket.once("error", () => resolve(false));
        }),
      { timeoutMs: 15_000, intervalMs: 50 },
    );
  } catch {
    throw new Error(why());
  }
}
