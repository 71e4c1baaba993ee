#!/usr/bin/env node
// Runs the TypeScript source directly: tsx compiles on load, so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/sim-cli.ts');
process.exitCode = await main(process.argv.slice(2));
