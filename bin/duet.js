#!/usr/bin/env node
// Thin launcher: the CLI lives in the compiled package (npm install runs the build).
import { main } from '../dist/cli/main.js';

main(process.argv).catch((error) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
