/** Category colours of maps, in the app and in `altmoe map --out`: Tableau 10, distinct at a glance and kind to common colour blindness. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'] as const;
