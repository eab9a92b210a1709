#!/usr/bin/env node
/**
 * Dependency hygiene without npm's audit endpoint (the registry here answers 405 to it). Fails (exit 1) when
 * package-lock.json holds:
 * - a version listed in .ci/known-bad-versions.txt (the list we keep, with the reason);
 * - a package whose `engines.node` admits no release of the oldest Node major package.json promises;
 * and when `npm ls --all` reports a problem (an invalid or missing dependency, an unmet peer).
 * Run: npm run check:deps. semver comes with npm's own dependency tree (installed by `npm ci`).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import semver from "semver";

// The project folder: this script's parent, or the folder given as the first argument.
const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), ".."));
const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8"));
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const problems = [];

const installed = Object.entries(lock.packages ?? {})
  .filter(([where]) => where.startsWith("node_modules/") || where.includes("/node_modules/"))
  .map(([where, info]) => ({ where, name: info.name ?? where.split("node_modules/").pop(), ...info }));

const here = path.dirname(fileURLToPath(import.meta.url));
const bad = readFileSync(path.join(here, "known-bad-versions.txt"), "utf8")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith("#"))
  .map((line) => {
    const match = /^(@?[^@\s]+)@(.+?)\s{2,}(.+)$/.exec(line) ?? /^(@?[^@\s]+)@(\S+)\s*(.*)$/.exec(line);
    if (!match || !semver.validRange(match[2])) throw new Error(`.ci/known-bad-versions.txt: cannot read "${line}"`);
    return { name: match[1], range: match[2], why: match[3] };
  });
for (const p of installed)
  for (const b of bad)
    if (p.name === b.name && semver.satisfies(p.version, b.range))
      problems.push(`${p.name}@${p.version} (${p.where}) is known bad: ${b.why}`);

// Every installed package must run on the oldest Node major the project supports (package.json
// engines.node, e.g. ">=20.11": Node 20): its engines.node must admit some release of that line.
const major = semver.minVersion(pkg.engines.node).major;
const line = `>=${major}.0.0 <${major + 1}.0.0`;
for (const p of installed) {
  const wants = p.engines?.node;
  if (wants && semver.validRange(wants) && !semver.intersects(wants, line))
    problems.push(`${p.name}@${p.version} (${p.where}) needs Node ${wants}: not Node ${major}`);
}

let tree;
try {
  tree = execFileSync("npm", ["ls", "--all", "--json"], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    maxBuffer: 256 * 1024 * 1024,
  });
} catch (error) {
  tree = error.stdout; // npm ls exits 1 when it finds problems; its JSON says which
}
for (const problem of JSON.parse(tree || "{}").problems ?? [])
  if (!/^extraneous:/.test(problem)) problems.push(`npm ls: ${problem}`);

if (problems.length > 0) {
  console.error(`Dependency check failed:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  process.exit(1);
}
console.log(`Dependency check passed: ${installed.length} packages, ${bad.length} known-bad ranges, Node ${major}.`);
