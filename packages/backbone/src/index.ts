export type { InMemoryBackboneOptions } from './backbone-options';
export { createInMemoryBackbone, type InMemoryBackbone } from './in-memory-backbone';
