#!/usr/bin/env node
// The `fedtune-client` command: plain node on the compiled JavaScript (pnpm install builds dist/).
const { runCommandLine } = await import('../dist/cli/client-cli.js');
process.exitCode = await runCommandLine(process.argv.slice(2));
