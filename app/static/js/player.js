// The one owner of the animation timer. It never awaits data: each animation frame advances
// the playhead by as many steps as the speed says (several a frame at high speed), and the
// renderer draws whatever has arrived, so input stays responsive while playing.

export class Player {
  /** `tick(n)` advances n steps and returns false when there is nothing left to play;
   * `onChange(playing, ended)` hears of every start and stop, `ended` true when the steps ran
   * out (not a pause). */
  constructor({ tick, onChange }) {
    this.tick = tick;
    this.onChange = onChange;
    this.frame = null;
    this.speed = 2; // steps per second
    this.owed = 0; // fractional steps carried to the next frame
    this.last = null;
    this.held = false;
  }

  get playing() {
    return this.frame !== null;
  }

  play() {
    if (this.playing) return;
    // the first step comes one period after pressing play, as a person expects
    this.owed = 0;
    this.last = null;
    this.held = false;
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

  /**
   * Hold the playhead while `on`, playing still (a drag of the scrubber has it: stepped on
   * under the drag, the scrubber jumped from the pointer, the drag's end read the player's
   * step, and each step's rewrite of the history entry took the drag's for playback's). Let
   * go, it plays on from where the drag left it, one period later.
   */
  hold(on) {
    this.held = on;
  }

  setSpeed(stepsPerSecond) {
    this.speed = Math.max(0.1, Number(stepsPerSecond) || 1);
  }

  /**
   * The steps played advance by whole strides: above 60 steps/s a fixed stride, so the steps
   * shown are known in advance (t, t + stride, ...) and only those need fetching. The
   * stride is the speed's share of a 60 Hz frame; time decides how many strides a frame
   * takes (none, one, or more after a late frame), so the speed chosen is the speed played
   * on any display: a stride a frame ran "100 steps/s" at 120 on a 60 Hz screen and at
   * about 290 on a 144 Hz one.
   */
  get stride() {
    return this.speed > 60 ? Math.round(this.speed / 60) : 1;
  }

  run(now) {
    if (this.held) {
      this.owed = 0;
      this.last = null;
      this.frame = requestAnimationFrame((t) => this.run(t));
      return;
    }
    // a hidden tab or a long pause must not turn into a burst of steps
    const elapsed = this.last === null ? 0 : Math.min(0.25, (now - this.last) / 1000);
    this.last = now;
    this.owed += elapsed * this.speed;
    const stride = this.stride;
    const n = Math.floor(this.owed / stride) * stride;
    if (n >= 1) {
      this.owed -= n;
      if (!this.tick(n)) {
        this.frame = null;
        this.onChange(false, true);
        return;
      }
    }
    this.frame = requestAnimationFrame((t) => this.run(t));
  }
}
