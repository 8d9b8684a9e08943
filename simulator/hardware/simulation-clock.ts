import type { Clock } from "../../device/ports.js";

/**
 * Compressed scenario time: between steps the clock jumps forward to the next step's time; within a
 * step it runs at real speed, so liveness time limits, reader timeouts and repeat-tap windows are
 * lived as they are on a real box. A scenario day therefore costs only the seconds its steps take.
 * The clock never goes back.
 */
export class SimulationClock implements Clock {
  private base: number;
  private anchor: number;

  constructor(start: number) {
    this.base = start;
    this.anchor = Date.now();
  }

  now(): number {
    return this.base + (Date.now() - this.anchor);
  }

  jumpTo(at: number): void {
    if (at <= this.now()) return;
    this.base = at;
    this.anchor = Date.now();
  }
}
