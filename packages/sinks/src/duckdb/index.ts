// The duckdb sink: filled in by issue 11.
export {};
