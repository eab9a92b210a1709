#!/usr/bin/env node
// The `postpilot` command: runs the compiled CLI (built by `npm install` through the prepare script).
import "../dist/cli.js";
