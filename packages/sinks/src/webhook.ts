export * from './webhook/index';
