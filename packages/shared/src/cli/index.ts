// @fedtune/shared/cli: what the three commands share: the subcommand dispatcher, the failure
// reporter (exit codes), and flag parsing.
export * from './dispatch.js';
export * from './failure.js';
export * from './flags.js';
