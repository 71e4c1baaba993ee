#!/usr/bin/env node
// The `fedtune-coordinator` command: plain node on the compiled JavaScript (pnpm install builds dist/).
const { main } = await import('../dist/cli/coordinator-cli.js');
process.exitCode = await main(process.argv.slice(2));
