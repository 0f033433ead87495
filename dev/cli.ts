#!/usr/bin/env node
// `shoal-dev`: development and demonstration tools that are not part of the
// product (and not in its images): the demo of `npm start` and the
// in-memory Kubernetes API server double the demo and the tests run against.
import { Command } from 'commander';
import { registerApiserverCommand } from './apiserver/command.js';
import { registerDemoCommand } from './demo/command.js';
import { VERSION } from '../src/cli/version.js';

const program = new Command();
program.name('shoal-dev').description("shoal's development tools: the demo and the Kubernetes API server double").version(VERSION);
registerDemoCommand(program);
registerApiserverCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`shoal-dev: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
