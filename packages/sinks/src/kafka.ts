export * from './kafka/index';
