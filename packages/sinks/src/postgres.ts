export * from './postgres/index';
