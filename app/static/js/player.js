// The one owner of the animation timer. It never awaits data: each tick just asks for the next
// step, and the renderer draws whatever has arrived, so input stays responsive while playing.

export class Player {
  /** `tick()` advances one step and returns false when there is nothing left to play. */
  constructor({ tick, onChange }) {
    this.tick = tick;
    this.onChange = onChange;
    this.timer = null;
    this.speed = 2; // steps per second
  }

  get playing() {
    return this.timer !== null;
  }

  play() {
    if (this.playing) return;
    this.timer = setTimeout(() => this.run(), this.delay());
    this.onChange(true);
  }

  pause() {
    if (!this.playing) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.onChange(false);
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  setSpeed(stepsPerSecond) {
    this.speed = Math.max(0.1, Number(stepsPerSecond) || 1);
  }

  delay() {
    return 1000 / this.speed;
  }

  run() {
    if (!this.tick()) {
      this.timer = null;
      this.onChange(false);
      return;
    }
    this.timer = setTimeout(() => this.run(), this.delay());
  }
}
