export { InletError, InletErrorCode, type InletErrorOptions } from './errors';
