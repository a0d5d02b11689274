// The redis sink: filled in by issue 11.
export {};
