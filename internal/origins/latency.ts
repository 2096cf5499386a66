// Rolling window of the last N read latencies per origin; p50 breaks routing ties between origins
// of equal priority, p99 is for the API.
export class LatencyWindow {
  private readonly samples: Float64Array;
  private count = 0;
  private next = 0;
  private sorted: Float64Array | null = null;

  constructor(readonly size = 100) {
    this.samples = new Float64Array(size);
  }

  add(ms: number): void {
    this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.size;
    if (this.count < this.size) this.count++;
    this.sorted = null;
  }

  get length(): number {
    return this.count;
  }

  private view(): Float64Array {
    if (!this.sorted) this.sorted = this.samples.slice(0, this.count).sort();
    return this.sorted;
  }

  /** Median, or undefined before the first sample. */
  p50(): number | undefined {
    return this.count === 0 ? undefined : this.view()[this.count >> 1];
  }

  p99(): number | undefined {
    return this.count === 0 ? undefined : this.view()[Math.min(this.count - 1, Math.floor((this.count * 99) / 100))];
  }
}
