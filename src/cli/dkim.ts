/**
 * `postpilot dkim-keygen`: makes a 2048-bit RSA key under DATA_DIR/dkim/ (mode 0600, never silently
 * replaced) and prints the DNS TXT record to publish and the settings that turn signing on.
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { type Config, dkimKeyPath } from "../config.js";
import { dkimRecordName, generateDkimKey } from "../delivery/dkim.js";
import { dkimKeygenSchema } from "../delivery/dkim.schemas.js";

export interface DkimKeyWritten {
  keyFile: string;
  recordName: string;
  txt: string;
}

export class DkimKeyExists extends Error {}

/** Writes a new key where the config looks for it by default; refuses to replace one unless `force`. */
export function writeDkimKey(
  dataDir: string,
  domain: string,
  selector: string,
  force = false,
): DkimKeyWritten {
  const keyFile = dkimKeyPath(dataDir, domain, selector);
  const { privateKey, txt } = generateDkimKey();
  mkdirSync(path.dirname(keyFile), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(keyFile, privateKey, { mode: 0o600, flag: force ? "w" : "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    throw new DkimKeyExists(
      `${keyFile} already exists. Pass --force to replace it (then publish the new DNS record too).`,
    );
  }
  // An existing file keeps its mode when overwritten.
  chmodSync(keyFile, 0o600);
  return { keyFile, recordName: dkimRecordName(domain, selector), txt };
}

/** What the command prints: the record (whole, and split into 255-character strings for zone files). */
export function keygenReport(domain: string, selector: string, written: DkimKeyWritten): string {
  const strings = (written.txt.match(/.{1,255}/g) ?? []).map((s) => `"${s}"`).join(" ");
  return [
    `Wrote a 2048-bit RSA key to ${written.keyFile} (mode 0600).`,
    "",
    "Publish this DNS TXT record:",
    `  name:  ${written.recordName}`,
    `  value: ${written.txt}`,
    `  zone file: ${written.recordName}. IN TXT ( ${strings} )`,
    "",
    "Then set (DKIM_PRIVATE_KEY_FILE is the default and may be left out):",
    `  DKIM_DOMAIN=${domain}`,
    `  DKIM_SELECTOR=${selector}`,
    `  DKIM_PRIVATE_KEY_FILE=${written.keyFile}`,
  ].join("\n");
}

/** `config` must not read the DKIM key (it may be the one being made): loadConfig({ readDkimKey: false }). */
export function registerDkimCommands(program: Command, config: () => Config): void {
  program
    .command("dkim-keygen")
    .description("make a DKIM key (2048-bit RSA) in DATA_DIR/dkim/ and print the DNS record to publish")
    .requiredOption(
      "--domain <domain>",
      "the domain that signs (the From address's domain), e.g. example.com",
    )
    .requiredOption(
      "--selector <selector>",
      "a name for this key, e.g. mail2026 (DNS: <selector>._domainkey)",
    )
    .option("--force", "replace the key file if it exists", false)
    .action((options: { domain: string; selector: string; force: boolean }) => {
      const parsed = dkimKeygenSchema.safeParse(options);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) console.error(`--${issue.path.join(".")}: ${issue.message}`);
        process.exitCode = 2;
        return;
      }
      const { domain, selector } = parsed.data;
      try {
        const written = writeDkimKey(config().dataDir, domain, selector, options.force);
        console.log(keygenReport(domain, selector, written));
      } catch (error) {
        if (!(error instanceof DkimKeyExists)) throw error;
        console.error(error.message);
        process.exitCode = 1;
      }
    });
}
