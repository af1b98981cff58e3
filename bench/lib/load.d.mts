// Types of the helpers the unit test (test/bench/load.spec.ts) imports from load.mjs.
export interface LoadShare {
  connections: number;
  overallRate?: number;
}

export function paced(connections: number, rate?: number): { share: LoadShare; delay: number }[];
export function percentile(sorted: number[], fraction: number): number | null;
export function median(values: (number | null)[]): number | null;
