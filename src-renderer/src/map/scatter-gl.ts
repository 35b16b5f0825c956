// A WebGL scatter plot for the embedding map: one draw call of round points (colour per point,
// selected points opaque over faded others), pan and zoom as a 2-D transform, and picking and lasso
// selection on the CPU. Written here rather than taken from regl-scatterplot or deck.gl because
// regl compiles its draw calls with new Function(), which the app's Content-Security-Policy
// (script-src 'self', no 'unsafe-eval') rightly refuses; this needs nothing beyond WebGL 1.

const VERTEX = `
attribute vec2 position;
attribute vec3 color;
attribute float selected;
uniform vec2 scale;
uniform vec2 offset;
uniform float size;
uniform float alpha;
uniform float anySelected;
varying vec4 vColor;
void main() {
  gl_Position = vec4(position * scale + offset, 0.0, 1.0);
  float on = anySelected > 0.5 ? selected : 1.0;
  gl_PointSize = on > 0.5 && anySelected > 0.5 ? size * 1.4 : size;
  vColor = vec4(color, on > 0.5 ? alpha : 0.12);
}`;

const FRAGMENT = `
precision mediump float;
varying vec4 vColor;
void main() {
  vec2 c = gl_PointCoord - vec2(0.5);
  if (dot(c, c) > 0.25) discard;
  gl_FragColor = vColor;
}`;

/** Data coordinates are in [-1, 1]; the view maps them to the canvas: centre, and zoom (1 = fit). */
export interface View {
  cx: number;
  cy: number;
  zoom: number;
}

function compile(gl: WebGLRenderingContext, type: number, source: string): WebGLShader {
  const s = gl.createShader(type)!;
  gl.shaderSource(s, source);
  gl.compileShader(s);
  if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(`WebGL shader: ${gl.getShaderInfoLog(s)}`);
  return s;
}

export function hexToRgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255) as [number, number, number];
}

export class ScatterGL {
  private readonly gl: WebGLRenderingContext;
  private readonly program: WebGLProgram;
  private readonly buffers: { position: WebGLBuffer; color: WebGLBuffer; selected: WebGLBuffer };
  private x = new Float32Array(0);
  private y = new Float32Array(0);
  private selectedFlags = new Float32Array(0);
  private anySelected = false;
  view: View = { cx: 0, cy: 0, zoom: 1 };
  pointSize = 4;
  alpha = 0.85;

  constructor(private readonly canvas: HTMLCanvasElement) {
    // preserveDrawingBuffer: the picture stays readable (screenshots, exports) after it is shown.
    const gl = canvas.getContext('webgl', { antialias: true, preserveDrawingBuffer: true, premultipliedAlpha: false });
    if (!gl) throw new Error('this browser cannot draw WebGL, which the map needs');
    this.gl = gl;
    const program = gl.createProgram()!;
    gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(`WebGL program: ${gl.getProgramInfoLog(program)}`);
    this.program = program;
    this.buffers = { position: gl.createBuffer()!, color: gl.createBuffer()!, selected: gl.createBuffer()! };
  }

  get count(): number {
    return this.x.length;
  }

  /** Points and their colours (one palette index per point). */
  setPoints(x: ArrayLike<number>, y: ArrayLike<number>, category: ArrayLike<number>, palette: readonly string[]): void {
    const gl = this.gl;
    const n = x.length;
    this.x = Float32Array.from(x);
    this.y = Float32Array.from(y);
    const position = new Float32Array(n * 2);
    const color = new Float32Array(n * 3);
    const rgb = palette.map(hexToRgb);
    for (let i = 0; i < n; i++) {
      position[i * 2] = this.x[i]!;
      position[i * 2 + 1] = this.y[i]!;
      color.set(rgb[category[i]! % rgb.length]!, i * 3);
    }
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.position);
    gl.bufferData(gl.ARRAY_BUFFER, position, gl.STATIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.color);
    gl.bufferData(gl.ARRAY_BUFFER, color, gl.STATIC_DRAW);
    this.select([]);
  }

  select(indices: readonly number[]): void {
    this.selectedFlags = new Float32Array(this.x.length);
    for (const i of indices) this.selectedFlags[i] = 1;
    this.anySelected = indices.length > 0;
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.selected);
    gl.bufferData(gl.ARRAY_BUFFER, this.selectedFlags, gl.DYNAMIC_DRAW);
    this.draw();
  }

  /** Canvas pixels (CSS) per data unit along each axis; the shorter side spans [-1, 1] at zoom 1. */
  private pixelsPerUnit(): number {
    return (Math.min(this.canvas.clientWidth, this.canvas.clientHeight) / 2) * 0.95 * this.view.zoom;
  }

  /** A point's position in CSS pixels from the canvas' top left. */
  toScreen(i: number): [number, number] {
    const k = this.pixelsPerUnit();
    return [this.canvas.clientWidth / 2 + (this.x[i]! - this.view.cx) * k, this.canvas.clientHeight / 2 - (this.y[i]! - this.view.cy) * k];
  }

  toData(px: number, py: number): [number, number] {
    const k = this.pixelsPerUnit();
    return [this.view.cx + (px - this.canvas.clientWidth / 2) / k, this.view.cy - (py - this.canvas.clientHeight / 2) / k];
  }

  /** The point nearest to a pixel within `radius` pixels, or -1. */
  pick(px: number, py: number, radius = 6): number {
    let best = -1;
    let bestD = radius * radius;
    for (let i = 0; i < this.x.length; i++) {
      const [sx, sy] = this.toScreen(i);
      const d = (sx - px) ** 2 + (sy - py) ** 2;
      if (d < bestD) [best, bestD] = [i, d];
    }
    return best;
  }

  /** Points inside a polygon of pixels (even-odd rule). */
  inside(polygon: readonly [number, number][]): number[] {
    if (polygon.length < 3) return [];
    const out: number[] = [];
    for (let i = 0; i < this.x.length; i++) {
      const [px, py] = this.toScreen(i);
      let inside = false;
      for (let a = 0, b = polygon.length - 1; a < polygon.length; b = a++) {
        const [xa, ya] = polygon[a]!;
        const [xb, yb] = polygon[b]!;
        if (ya > py !== yb > py && px < ((xb - xa) * (py - ya)) / (yb - ya) + xa) inside = !inside;
      }
      if (inside) out.push(i);
    }
    return out;
  }

  zoomAt(px: number, py: number, factor: number): void {
    const [dx, dy] = this.toData(px, py);
    const zoom = Math.min(200, Math.max(0.5, this.view.zoom * factor));
    const f = this.view.zoom / zoom;
    // The data point under the cursor stays under it.
    this.view = { cx: dx - (dx - this.view.cx) * f, cy: dy - (dy - this.view.cy) * f, zoom };
    this.draw();
  }

  panBy(dxPixels: number, dyPixels: number): void {
    const k = this.pixelsPerUnit();
    this.view = { ...this.view, cx: this.view.cx - dxPixels / k, cy: this.view.cy + dyPixels / k };
    this.draw();
  }

  /** Centres the view on a box of data coordinates and zooms so it fills the shorter side. */
  fit(box: { x0: number; x1: number; y0: number; y1: number }): void {
    const extent = Math.max(box.x1 - box.x0, box.y1 - box.y0, 1e-3);
    this.view = { cx: (box.x0 + box.x1) / 2, cy: (box.y0 + box.y1) / 2, zoom: Math.min(200, Math.max(0.5, 2 / (extent * 1.08))) };
    this.draw();
  }

  resetView(): void {
    this.view = { cx: 0, cy: 0, zoom: 1 };
    this.draw();
  }

  draw(): void {
    const gl = this.gl;
    const ratio = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.canvas.clientWidth * ratio));
    const h = Math.max(1, Math.round(this.canvas.clientHeight * ratio));
    if (this.canvas.width !== w || this.canvas.height !== h) [this.canvas.width, this.canvas.height] = [w, h];
    gl.viewport(0, 0, w, h);
    gl.clearColor(1, 1, 1, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    if (this.x.length === 0) return;
    gl.useProgram(this.program);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    const k = this.pixelsPerUnit();
    // Data -> clip space: x * scale + offset, with the view's centre and zoom.
    const sx = (2 * k) / this.canvas.clientWidth;
    const sy = (2 * k) / this.canvas.clientHeight;
    gl.uniform2f(gl.getUniformLocation(this.program, 'scale'), sx, sy);
    gl.uniform2f(gl.getUniformLocation(this.program, 'offset'), -this.view.cx * sx, -this.view.cy * sy);
    gl.uniform1f(gl.getUniformLocation(this.program, 'size'), this.pointSize * ratio);
    gl.uniform1f(gl.getUniformLocation(this.program, 'alpha'), this.alpha);
    gl.uniform1f(gl.getUniformLocation(this.program, 'anySelected'), this.anySelected ? 1 : 0);
    const bind = (name: string, buffer: WebGLBuffer, size: number): void => {
      const loc = gl.getAttribLocation(this.program, name);
      gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
      gl.enableVertexAttribArray(loc);
      gl.vertexAttribPointer(loc, size, gl.FLOAT, false, 0, 0);
    };
    bind('position', this.buffers.position, 2);
    bind('color', this.buffers.color, 3);
    bind('selected', this.buffers.selected, 1);
    gl.drawArrays(gl.POINTS, 0, this.x.length);
  }

  destroy(): void {
    const gl = this.gl;
    for (const b of Object.values(this.buffers)) gl.deleteBuffer(b);
    gl.deleteProgram(this.program);
  }
}
