export { InletStoreError } from './inlet-store-error';
export { socketErrorCode } from './socket-error-code';
export { type StoreErrorClass, storeErrorClasses } from './store-error-class';
export { StoreErrorCode } from './store-error-code';
