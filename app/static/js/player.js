// The one owner of the animation timer. It never awaits data: each animation frame advances
// the playhead by as many steps as the speed says (several a frame at high speed), and the
// renderer draws whatever has arrived, so input stays responsive while playing.

export class Player {
  /** `tick(n)` advances n steps and returns false when there is nothing left to play. */
  constructor({ tick, onChange }) {
    this.tick = tick;
    this.onChange = onChange;
    this.frame = null;
    this.speed = 2; // steps per second
    this.owed = 0; // fractional steps carried to the next frame
    this.last = null;
  }

  get playing() {
    return this.frame !== null;
  }

  play() {
    if (this.playing) return;
    // the first step comes one period after pressing play, as a person expects
    this.owed = 0;
    this.last = null;
    this.frame = requestAnimationFrame((now) => this.run(now));
    this.onChange(true);
  }

  pause() {
    if (!this.playing) return;
    cancelAnimationFrame(this.frame);
    this.frame = null;
    this.onChange(false);
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  setSpeed(stepsPerSecond) {
    this.speed = Math.max(0.1, Number(stepsPerSecond) || 1);
  }

  run(now) {
    // a hidden tab or a long pause must not turn into a burst of steps
    const elapsed = this.last === null ? 0 : Math.min(0.25, (now - this.last) / 1000);
    this.last = now;
    this.owed += elapsed * this.speed;
    const n = Math.floor(this.owed);
    if (n >= 1) {
      this.owed -= n;
      if (!this.tick(n)) {
        this.frame = null;
        this.onChange(false);
        return;
      }
    }
    this.frame = requestAnimationFrame((t) => this.run(t));
  }
}
