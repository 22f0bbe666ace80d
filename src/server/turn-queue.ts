/**
 * Runs the turns of one conversation one after the other. `Assistant.handle` reads the
 * conversation's state when a turn starts and writes it when the turn ends; two turns of one
 * conversation running at once would both start from the same state. Turns of different
 * conversations still interleave. Also counts turns in flight, so a shutdown can wait for them.
 */
export class TurnQueue {
  private readonly tails = new Map<string, Promise<unknown>>();
  private running = 0;
  private idleWaiters: (() => void)[] = [];

  /** Turns queued or running. */
  get inFlight(): number {
    return this.running;
  }

  run<T>(conversation: string, turn: () => Promise<T>): Promise<T> {
    this.running += 1;
    const previous = this.tails.get(conversation) ?? Promise.resolve();
    const result = previous.then(turn, turn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(conversation, tail);
    void tail.then(() => {
      // The last turn queued for a conversation removes its entry, so the map holds only busy conversations.
      if (this.tails.get(conversation) === tail) this.tails.delete(conversation);
      this.running -= 1;
      if (this.running === 0) {
        for (const wake of this.idleWaiters.splice(0)) wake();
      }
    });
    return result;
  }

  /** Resolves once no turn is queued or running (at once if none is). */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
