// The 3-D view's projection. A block of cells (x = column, y = row, z = depth, in cell units)
// is turned by a camera (yaw about the vertical axis, pitch about the horizontal one) and drawn
// in perspective along depth: each depth plane is scaled by its distance from the eye. Within
// one plane the map is affine, so a depth slice is ONE drawImage with a transform, exactly;
// the block's sides recede toward the back as they would in a drawing of a box.

import { FORMS, MOST_TILT } from "../state.js";

const DEFAULT_YAW = 0.62;
const DEFAULT_PITCH = 0.42;
const MAX_PITCH = (MOST_TILT * Math.PI) / 180;
// The eye's distance in half-diagonals of the block: nearer exaggerates the perspective.
const EYE = 4.5;

/** The viewing angles, shared by the input and output blocks so they turn together. */
export class Camera {
  constructor() {
    this.listeners = new Set();
    this.yaw = DEFAULT_YAW;
    this.pitch = DEFAULT_PITCH;
  }

  /** Turn by (dyaw, dpitch) radians; listeners hear the angles before the turn. */
  turn(dyaw, dpitch) {
    const before = { yaw: this.yaw, pitch: this.pitch };
    this.yaw = ((this.yaw + dyaw + Math.PI) % (2 * Math.PI) + 2 * Math.PI) % (2 * Math.PI) - Math.PI;
    this.pitch = Math.max(-MAX_PITCH, Math.min(MAX_PITCH, this.pitch + dpitch));
    for (const listener of this.listeners) listener(before);
  }

  reset() {
    this.turn(DEFAULT_YAW - this.yaw, DEFAULT_PITCH - this.pitch);
  }

  /** The angles as a link keeps them: "yaw_pitch" in whole degrees ("_": a comma would be
   * escaped in the link), "" for the first view. */
  get text() {
    const deg = (radians) => Math.round((radians * 180) / Math.PI);
    const same = deg(this.yaw) === deg(DEFAULT_YAW) && deg(this.pitch) === deg(DEFAULT_PITCH);
    return same ? "" : `${deg(this.yaw)}_${deg(this.pitch)}`;
  }

  /** Turn to the angles `text` gives ("yaw_pitch" in degrees; "" or unreadable: the first view). */
  turnTo(text) {
    const m = FORMS.cam[0].exec(text || "");
    if (!m) return this.reset();
    const rad = (degrees) => (Number(degrees) * Math.PI) / 180;
    return this.turn(rad(m[1]) - this.yaw, rad(m[2]) - this.pitch);
  }

  onChange(listener) {
    this.listeners.add(listener);
  }
}

/**
 * The projection of a `cols` x `rows` x `extent` block seen at `angles` ({yaw, pitch}):
 * point(x, y, z) -> [u, v] in block units about the canvas centre (times `scale`, plus
 * `shift`), facing(nx, ny, nz) -> true when a face with that outward normal faces the eye,
 * farness(z) (larger is farther) to draw far parts first, and onPlane(u, v, axis, value) ->
 * the [x, y, z] on the plane where coordinate `axis` (0 x, 1 y, 2 z) is `value` that point()
 * draws at [u, v] (its exact inverse there: what the pointer is over), null edge-on.
 */
export function projection({ cols, rows, extent }, angles, scale = 1, shift = [0, 0]) {
  const cy = Math.cos(angles.yaw);
  const sy = Math.sin(angles.yaw);
  const cp = Math.cos(angles.pitch);
  const sp = Math.sin(angles.pitch);
  const eye = EYE * 0.5 * Math.hypot(cols, rows, extent);
  const [dx, dy] = shift;
  return {
    point(x, y, z) {
      const X = x - cols / 2;
      const Y = y - rows / 2;
      const Z = z - extent / 2;
      const x1 = X * cy + Z * sy;
      const z1 = -X * sy + Z * cy;
      const y2 = Y * cp - z1 * sp;
      // the plane's own distance (its centre's), so the whole plane shares one scale
      const s = (scale * eye) / (eye + Z * cy * cp);
      return [dx + x1 * s, dy + y2 * s];
    },
    facing(nx, ny, nz) {
      const z1 = -nx * sy + nz * cy;
      return ny * sp + z1 * cp < -1e-9;
    },
    farness(z) {
      return (z - extent / 2) * cy * cp;
    },
    onPlane(u, v, axis, value) {
      // point() is u - dx = x1 * s, v - dy = y2 * s with x1, y2 linear in the centred (X, Y, Z)
      // and 1 / s = (1 + q * Z) / scale: two equations linear in the plane's two unknowns
      const q = (cy * cp) / eye;
      const U = (u - dx) / scale;
      const V = (v - dy) / scale;
      const rows2 = [[cy, 0, sy - U * q, -U], [sy * sp, cp, -cy * sp - V * q, -V]];
      const centre = [cols / 2, rows / 2, extent / 2];
      const [b, c] = [0, 1, 2].filter((n) => n !== axis);
      const A = value - centre[axis];
      const [r1, r2] = rows2;
      const det = r1[b] * r2[c] - r1[c] * r2[b];
      if (Math.abs(det) < 1e-9) return null;
      const e1 = -(r1[3] + r1[axis] * A);
      const e2 = -(r2[3] + r2[axis] * A);
      const found = [];
      found[axis] = value;
      found[b] = (e1 * r2[c] - e2 * r1[c]) / det + centre[b];
      found[c] = (r1[b] * e2 - r2[b] * e1) / det + centre[c];
      return found;
    },
  };
}

/**
 * The scale and shift that fit a block into `width` x `height` CSS px (with a margin) at the
 * default angles, with room for the labels on the side `away` (-1 left, 1 right) from the
 * connection lines; kept while the camera turns, so turning never zooms.
 */
export function fitOf(block, width, height, away = -1) {
  const base = projection(block, { yaw: DEFAULT_YAW, pitch: DEFAULT_PITCH });
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const x of [0, block.cols]) {
    for (const y of [0, block.rows]) {
      for (const z of [0, block.extent]) {
        const [u, v] = base.point(x, y, z);
        [x0, y0, x1, y1] = [Math.min(x0, u), Math.min(y0, v), Math.max(x1, u), Math.max(y1, v)];
      }
    }
  }
  // room for the dimension labels around the block: more on the side away from the
  // connection lines (`away`: -1 left, 1 right), where the labels go
  const [left, right] = away < 0 ? [64, 16] : [16, 64];
  const [top, bottom] = [28, 34];
  const scale = Math.min((width - left - right) / (x1 - x0), (height - top - bottom) / (y1 - y0));
  return { scale, shift: [(left - right) / 2 - scale * (x0 + x1) / 2, (top - bottom) / 2 - scale * (y0 + y1) / 2] };
}
