// One colour per run, the same on every chart, kept while the run stays selected: a newly selected run
// takes the first palette slot no selected run holds.

export class RunColours {
  private readonly slots = new Map<string, number>();

  /** Keeps the slots of runs still selected and gives new runs the free ones. */
  assign(runIds: readonly string[]): void {
    for (const id of [...this.slots.keys()]) if (!runIds.includes(id)) this.slots.delete(id);
    for (const id of runIds) {
      if (this.slots.has(id)) continue;
      const taken = new Set(this.slots.values());
      let slot = 0;
      while (taken.has(slot)) slot++;
      this.slots.set(id, slot);
    }
  }

  slot(runId: string): number {
    return this.slots.get(runId) ?? 0;
  }

  colour(runId: string, palette: readonly string[]): string {
    return palette[this.slot(runId) % palette.length] ?? '#888888';
  }
}
