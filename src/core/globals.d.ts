// The one host function the core uses beyond ES2022: every target (Node, page, Web Worker) has setTimeout.
declare function setTimeout(callback: () => void, ms?: number): unknown;
