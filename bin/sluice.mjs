#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader (tsx is a runtime dependency).
import process from 'node:process';
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../src/cli/main.ts');
await run(process.argv);
