// Run the CLI in-process and capture what it writes (stdout, stderr, exit code).
import { vi } from 'vitest';
import { main } from '../main.js';

export async function runCli(...args: string[]): Promise<{ stderr: string; stdout: string; exitCode: number }> {
  let stderr = '';
  let stdout = '';
  const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const outSpy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  try {
    await main(['node', 'duet', ...args]);
  } finally {
    errSpy.mockRestore();
    outSpy.mockRestore();
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { stderr, stdout, exitCode };
}
