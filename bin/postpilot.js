#!/usr/bin/env node
// The `postpilot` command: runs the compiled CLI in dist/ (built by `npm install` through the prepare
// script, or by `npm run build`). `npm start` runs `node bin/postpilot.js serve`, without building.
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  console.error("PostPilot is not built: dist/cli.js is missing. Run `npm run build` first.");
  process.exit(1);
}
await import(cli.href);
