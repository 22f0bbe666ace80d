// A chatter whose generated reply stops half-written until the test releases it: what a client
// sees before `release` is what was streamed while the reply was still being written.
import type { Chatter } from '../../dialogue/assistant.js';

export function gatedChatter(reply: string, partsBefore: string[], partsAfter: string[] = []): { chatter: Chatter; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const chatter: Chatter = {
    async reply(input) {
      for (const part of partsBefore) input.onText?.(part);
      await gate;
      for (const part of partsAfter) input.onText?.(part);
      return { text: reply, source: 'generation', score: 0.1 };
    },
  };
  return { chatter, release };
}
