export * from './redis/index';
