/** One line of a chart: [x, y] points in x order. */
export interface Series {
  name: string;
  points: [number, number][];
}
