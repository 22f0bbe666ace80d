// Runs the CLI from source in a child process (tests that need real stdin/stdout).
import { main } from '../main.js';

await main(process.argv);
